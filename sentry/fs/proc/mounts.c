/* The mount table as /proc shows it: mounts, mountinfo, filesystems, and mount ids. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "sentry/fs/proc/internal.h"

int proc_path_string(const struct path *p, char *buf, size_t len)
{
	/* file_path is the VFS's public path printer (relative to the caller's root, with
	 * " (deleted)" as Linux); it takes a file, so a transient O_PATH one carries p. */
	struct file *f = file_new(p, O_PATH, NULL);
	if (!f)
		return -ENOMEM;
	int r = file_path(f, buf, len);
	file_put(f);
	return r;
}

/* One attached mount, with a reference, as vfs_for_each_mount saw it. */
struct mount_row {
	struct mount *m;
	struct mount *parent; /* compared only, never followed */
	unsigned int flags;
};

struct mount_table {
	struct mount_row *rows;
	size_t n, cap;
	bool oom;
};

/* Under mount_lock: only copies and atomic references. */
static void collect_mount(struct mount *m, void *arg)
{
	struct mount_table *tab = arg;
	if (tab->oom)
		return;
	if (tab->n == tab->cap) {
		size_t cap = tab->cap ? tab->cap * 2 : 16;
		struct mount_row *rows = realloc(tab->rows, cap * sizeof(*rows));
		if (!rows) {
			tab->oom = true;
			return;
		}
		tab->rows = rows;
		tab->cap = cap;
	}
	mount_get(m);
	tab->rows[tab->n++] = (struct mount_row){ m, m->parent, m->flags };
}

static int mount_table_get(struct mount_table *tab)
{
	*tab = (struct mount_table){ 0 };
	vfs_for_each_mount(collect_mount, tab);
	return tab->oom ? -ENOMEM : 0;
}

static void mount_table_release(struct mount_table *tab)
{
	for (size_t i = 0; i < tab->n; i++)
		mount_put(tab->rows[i].m);
	free(tab->rows);
}

/* Ids are positions in the mount list, which only grows (there is no umount): stable. */
static int row_id(const struct mount_table *tab, const struct mount *m)
{
	for (size_t i = 0; i < tab->n; i++)
		if (tab->rows[i].m == m)
			return (int)i + 1;
	return 0;
}

static void mount_options(const struct mount_row *row, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s", (row->flags & MNT_RDONLY) ? "ro" : "rw",
		 (row->flags & MNT_NOSUID) ? ",nosuid" : "", (row->flags & MNT_NODEV) ? ",nodev" : "",
		 (row->flags & MNT_NOEXEC) ? ",noexec" : "");
}

/* Each row with its mountpoint as the reader sees it. */
static int for_each_row(struct proc_buf *b, bool info)
{
	struct mount_table tab;
	int r = mount_table_get(&tab);
	char *path = malloc(PATH_MAX);
	if (!path)
		r = -ENOMEM;
	for (size_t i = 0; r == 0 && i < tab.n; i++) {
		struct mount_row *row = &tab.rows[i];
		struct path p = { row->m, row->m->root };
		char opts[32];
		if (proc_path_string(&p, path, PATH_MAX / 2) < 0)
			continue;
		mount_options(row, opts, sizeof(opts));
		struct superblock *sb = row->m->sb;
		if (info) {
			int parent = row->parent ? row_id(&tab, row->parent) : (int)i + 1;
			/* A bind mount of a subtree: where its root lies in its filesystem. */
			struct path within = { NULL, row->m->root };
			char *root = path + PATH_MAX / 2;
			if (row->m->root == sb->root ||
			    proc_path_string(&within, root, PATH_MAX / 2) < 0)
				root = "/";
			proc_fmt_mountinfo(b, (int)i + 1, parent, major(sb->dev), minor(sb->dev),
					   root, path, opts, sb->type, sb->source, opts);
		} else {
			proc_fmt_mount(b, sb->source, path, sb->type, opts);
		}
	}
	free(path);
	mount_table_release(&tab);
	return r;
}

int proc_show_mounts(struct proc_buf *b)
{
	return for_each_row(b, false);
}

int proc_show_mountinfo(struct proc_buf *b)
{
	return for_each_row(b, true);
}

int proc_show_filesystems(struct proc_buf *b)
{
	/* The types in use: every one of cvisor's filesystems is virtual (nodev). */
	struct mount_table tab;
	int r = mount_table_get(&tab);
	for (size_t i = 0; r == 0 && i < tab.n; i++) {
		const char *type = tab.rows[i].m->sb->type;
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(tab.rows[j].m->sb->type, type) == 0;
		if (!seen)
			proc_buf_printf(b, "nodev\t%s\n", type);
	}
	mount_table_release(&tab);
	return r;
}

int proc_mount_id(struct mount *m)
{
	if (!m || (m->flags & MNT_INTERNAL))
		return 0;
	struct mount_table tab;
	int id = mount_table_get(&tab) == 0 ? row_id(&tab, m) : 0;
	mount_table_release(&tab);
	return id;
}
