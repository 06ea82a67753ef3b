/*
 * overlay, as Linux's overlayfs: lookups prefer the upper (tmpfs) layer; deletions leave
 * whiteouts (character device 0:0) in it; an opaque upper directory hides the lower one;
 * directories list merged; a lower file is copied up (data, mode, owner, times) before it
 * changes. Lower directories cannot be renamed (EXDEV, as overlayfs without redirect_dir).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "lib/log.h"
#include "lib/util.h"
#include "sentry/fs/overlay/overlay.h"
#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/mm/memfile.h"
#include "sentry/vfs/vfs.h"

/* Inode numbers: a file from the lower layer keeps the lower number (also once copied up);
 * a file made in the upper layer gets its tmpfs number with this bit, so the two never meet.
 * A lower file on another host filesystem than the lower root's (a host mount the export
 * spans, such as /sys) keeps that filesystem's device too, as it shows natively. */
#define OVL_UPPER_INO_BIT (1ULL << 62)

struct ovl_sb {
	struct superblock *upper_sb, *lower_sb; /* sb_get references */
	struct dentry *lower_root;		/* a reference */
	uint64_t lower_dev;			/* st_dev of the lower root */
	/* Serializes copy-ups, so two opens for write do not both copy a file. After overlay
	 * dir_locks, before the layers' locks. */
	pthread_mutex_t copyup_lock;
};

struct ovl_inode {
	struct inode vfs;
	/* Upper and lower dentries (references). upper is set once, at copy-up, under
	 * vfs.lock; lower never changes. */
	struct dentry *upper, *lower;
};

struct ovl_dir_file {
	struct dir_snapshot snap;
	bool loaded;
};

static const struct super_ops ovl_sb_ops;
static const struct inode_ops ovl_inode_ops;
static const struct file_ops ovl_file_fops, ovl_dir_fops;

static struct ovl_inode *OI(struct inode *inode)
{
	return (struct ovl_inode *)inode;
}

static struct ovl_sb *OSB(struct superblock *sb)
{
	return sb->priv;
}

static struct dentry *ovl_upper(struct inode *inode)
{
	pthread_mutex_lock(&inode->lock);
	struct dentry *u = OI(inode)->upper;
	pthread_mutex_unlock(&inode->lock);
	return u;
}

/* The layer that speaks for the file now: upper if copied up, else lower. */
static struct dentry *ovl_real(struct inode *inode)
{
	struct dentry *u = ovl_upper(inode);
	return u ? u : OI(inode)->lower;
}

static bool is_whiteout(struct inode *inode)
{
	return S_ISCHR(inode->mode) && inode->rdev == 0;
}

static uint64_t lower_ino(struct dentry *lower)
{
	struct kstat st;
	return vfs_dentry_getattr(lower, &st) == 0 ? st.ino : lower->inode->ino;
}

/* Copies the real inode's attributes into the overlay inode, which the VFS reads directly
 * (ownership rules, sticky bit, setgid inheritance). */
static void ovl_refresh(struct inode *inode)
{
	struct dentry *real = ovl_real(inode);
	struct kstat st;
	if (vfs_dentry_getattr(real, &st) < 0)
		return;
	pthread_mutex_lock(&inode->lock);
	inode->mode = st.mode;
	inode->uid = st.uid;
	inode->gid = st.gid;
	inode->nlink = st.nlink;
	inode->size = st.size;
	inode->rdev = (dev_t)st.rdev;
	inode->atime = st.atime;
	inode->mtime = st.mtime;
	inode->ctime = st.ctime;
	pthread_mutex_unlock(&inode->lock);
}

/* A new overlay inode over upper and/or lower (consumes both references). */
static struct inode *ovl_new_inode(struct superblock *sb, struct dentry *upper,
				   struct dentry *lower)
{
	struct ovl_inode *oi = calloc(1, sizeof(*oi));
	if (!oi) {
		if (upper)
			dentry_put(upper);
		if (lower)
			dentry_put(lower);
		return NULL;
	}
	struct dentry *real = upper ? upper : lower;
	mode_t mode = real->inode->mode;
	inode_init(&oi->vfs, sb, mode, &ovl_inode_ops,
		   S_ISDIR(mode) ? &ovl_dir_fops : &ovl_file_fops);
	oi->upper = upper;
	oi->lower = lower;
	if (lower) {
		oi->vfs.ino = lower_ino(lower);
	} else {
		uint64_t origin = tmpfs_origin(upper->inode);
		oi->vfs.ino = origin ? origin : (upper->inode->ino | OVL_UPPER_INO_BIT);
	}
	ovl_refresh(&oi->vfs);
	return &oi->vfs;
}

static void ovl_evict(struct inode *inode)
{
	struct ovl_inode *oi = OI(inode);
	if (oi->upper)
		dentry_put(oi->upper);
	if (oi->lower)
		dentry_put(oi->lower);
	free(oi);
}

static void ovl_put_super(struct superblock *sb)
{
	struct ovl_sb *os = OSB(sb);
	dentry_put(os->lower_root);
	sb_put(os->lower_sb);
	sb_put(os->upper_sb);
	pthread_mutex_destroy(&os->copyup_lock);
	free(os);
}

static int ovl_statfs(struct superblock *sb, struct statfs *st)
{
	/* As overlayfs: the upper layer's numbers, which is where writes go. */
	struct statfs ust;
	int r = vfs_dentry_statfs(OSB(sb)->upper_sb->root, &ust);
	if (r == 0) {
		ust.f_type = 0;
		*st = ust;
	}
	return r;
}

static const struct super_ops ovl_sb_ops = {
	.evict_inode = ovl_evict,
	.statfs = ovl_statfs,
	.put_super = ovl_put_super,
};

/* ---- lookup ---- */

static int ovl_lookup(struct dentry *dir, const char *name, struct inode **out)
{
	struct ovl_inode *od = OI(dir->inode);
	struct dentry *udir = ovl_upper(dir->inode), *ldir = od->lower;
	struct dentry *u = NULL, *l = NULL;
	int r;
	if (udir) {
		r = vfs_lookup_one(udir, name, &u);
		if (r < 0 && r != -ENOENT)
			return r;
		if (r < 0)
			u = NULL;
		if (u && is_whiteout(u->inode)) {
			dentry_put(u);
			return -ENOENT;
		}
	}
	/* A non-directory upper entry shadows whatever is below; so does an opaque directory
	 * (its own entries are all there is). */
	bool look_lower = ldir && !(u && (!S_ISDIR(u->inode->mode) || tmpfs_is_opaque(u->inode)));
	if (look_lower) {
		r = vfs_lookup_one(ldir, name, &l);
		if (r < 0 && r != -ENOENT) {
			if (u)
				dentry_put(u);
			return r;
		}
		if (r < 0)
			l = NULL;
		if (l && u && !S_ISDIR(l->inode->mode)) {
			dentry_put(l);
			l = NULL;
		}
	}
	if (!u && !l)
		return -ENOENT;
	*out = ovl_new_inode(dir->sb, u, l);
	return *out ? 0 : -ENOMEM;
}

/* True when the lower layer under dir has name (so removing it needs a whiteout). */
static bool lower_has(struct dentry *dir, const char *name)
{
	struct dentry *ldir = OI(dir->inode)->lower;
	struct dentry *udir = ovl_upper(dir->inode);
	if (!ldir || (udir && tmpfs_is_opaque(udir->inode)))
		return false;
	struct dentry *l;
	if (vfs_lookup_one(ldir, name, &l) < 0)
		return false;
	dentry_put(l);
	return true;
}

/* ---- copy-up ---- */

static int copy_data(struct dentry *lower, struct dentry *upper, int64_t size)
{
	struct file *lf, *uf;
	int r = vfs_dentry_open(NULL, lower, O_RDONLY, &lf);
	if (r < 0)
		return r;
	r = vfs_dentry_open(NULL, upper, O_WRONLY, &uf);
	if (r < 0) {
		file_put(lf);
		return r;
	}
	struct iattr a = { .valid = ATTR_SIZE, .size = size };
	r = vfs_dentry_setattr(upper, &a);
	struct mobj *m = NULL;
	if (r == 0 && size > 0)
		r = tmpfs_file_mobj(uf, &m);
	/* Read straight into the upper file's pages: one copy, no bounce buffer. */
	int64_t off = 0;
	while (r == 0 && off < size) {
		size_t chunk = (size_t)MIN(size - off, (int64_t)(1 << 20));
		ssize_t n = file_pread(lf, mobj_ptr(m, (uint64_t)off), chunk, off);
		if (n < 0) {
			r = (int)n;
		} else if (n == 0) {
			a.size = off; /* the file shrank under us */
			r = vfs_dentry_setattr(upper, &a);
			break;
		} else {
			off += n;
		}
	}
	if (m)
		mobj_put(m);
	file_put(uf);
	file_put(lf);
	return r;
}

static int copy_up_locked(struct dentry *d);

static int copy_up_one(struct dentry *d)
{
	struct ovl_inode *oi = OI(d->inode);
	struct dentry *parent = dentry_parent(d);
	int r = copy_up_locked(parent);
	struct dentry *udir = r == 0 ? ovl_upper(parent->inode) : NULL;
	dentry_put(parent);
	if (r < 0)
		return r;
	char name[NAME_MAX + 1];
	r = dentry_name(d, name, sizeof(name));
	if (r < 0)
		return r;
	struct dentry *lower = oi->lower;
	struct kstat st;
	r = vfs_dentry_getattr(lower, &st);
	if (r < 0)
		return r;

	struct vfs_node node = {
		.mode = st.mode, .rdev = (dev_t)st.rdev, .uid = st.uid, .gid = st.gid
	};
	char *target = NULL;
	if (S_ISREG(st.mode)) {
		node.mode = S_IFREG | 0600; /* writable while the data goes in */
	} else if (S_ISLNK(st.mode)) {
		target = malloc(PATH_MAX);
		ssize_t n = target ? vfs_dentry_readlink(lower, target, PATH_MAX - 1) : -ENOMEM;
		if (n < 0) {
			free(target);
			return (int)n;
		}
		target[n] = '\0';
		node.target = target;
	}
	struct dentry *u;
	r = vfs_dir_mknod(NULL, udir, name, &node, &u);
	free(target);
	if (r < 0)
		return r;
	if (S_ISREG(st.mode))
		r = copy_data(lower, u, st.size);
	if (r == 0) {
		struct iattr a = { .valid = ATTR_MODE | ATTR_UID | ATTR_GID | ATTR_ATIME |
					    ATTR_MTIME,
				   .mode = st.mode & 07777,
				   .uid = st.uid,
				   .gid = st.gid,
				   .atime = st.atime,
				   .mtime = st.mtime };
		r = vfs_dentry_setattr(u, &a);
	}
	if (r < 0) {
		dentry_put(u);
		vfs_dir_unlink(NULL, udir, name, S_ISDIR(st.mode));
		return r;
	}
	tmpfs_set_origin(u->inode, oi->vfs.ino);
	pthread_mutex_lock(&oi->vfs.lock);
	oi->upper = u;
	pthread_mutex_unlock(&oi->vfs.lock);
	return 0;
}

/* Copies d and its missing ancestors up (copyup_lock held). */
static int copy_up_locked(struct dentry *d)
{
	if (ovl_upper(d->inode))
		return 0;
	return copy_up_one(d);
}

static int copy_up(struct dentry *d)
{
	if (ovl_upper(d->inode))
		return 0;
	struct ovl_sb *os = OSB(d->sb);
	pthread_mutex_lock(&os->copyup_lock);
	int r = copy_up_locked(d);
	pthread_mutex_unlock(&os->copyup_lock);
	if (r == 0)
		ovl_refresh(d->inode);
	return r;
}

/* ---- whiteouts ---- */

static int make_whiteout(struct dentry *udir, const char *name)
{
	struct vfs_node node = { .mode = S_IFCHR, .rdev = 0 };
	return vfs_dir_mknod(NULL, udir, name, &node, NULL);
}

/* Removes a whiteout at name in udir; true if there was one. */
static bool take_whiteout(struct dentry *udir, const char *name)
{
	struct dentry *w;
	if (vfs_lookup_one(udir, name, &w) < 0)
		return false;
	bool wh = is_whiteout(w->inode);
	dentry_put(w);
	return wh && vfs_dir_unlink(NULL, udir, name, false) == 0;
}

/* ---- merged directory listing ---- */

struct collect {
	struct dir_context ctx;
	struct dir_snapshot *snap;
	int err;
};

static bool collect_actor(struct dir_context *ctx, const char *name, size_t len, uint64_t ino,
			  unsigned int type)
{
	struct collect *c = (struct collect *)ctx;
	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return true;
	char buf[NAME_MAX + 1];
	len = MIN(len, (size_t)NAME_MAX);
	memcpy(buf, name, len);
	buf[len] = '\0';
	int r = dir_snapshot_add(c->snap, buf, ino, type);
	if (r < 0) {
		c->err = r;
		return false;
	}
	return true;
}

static int list_dir(struct dentry *d, struct dir_snapshot *out)
{
	struct file *f;
	int r = vfs_dentry_open(NULL, d, O_RDONLY | O_DIRECTORY, &f);
	if (r < 0)
		return r;
	struct collect c = { .ctx.actor = collect_actor, .snap = out };
	r = vfs_iterate(f, &c.ctx);
	file_put(f);
	return r < 0 ? r : c.err;
}

/* A set of names for the merge: open addressing over the snapshot's strings. */
struct nameset {
	const char **slots;
	size_t cap;
};

static size_t ns_hash(const char *s)
{
	size_t h = 14695981039346656037ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static int ns_init(struct nameset *ns, size_t n)
{
	ns->cap = 16;
	while (ns->cap < n * 2 + 1)
		ns->cap *= 2;
	ns->slots = calloc(ns->cap, sizeof(*ns->slots));
	return ns->slots ? 0 : -ENOMEM;
}

/* Index of name's slot (or of the empty slot where it would go). */
static size_t ns_find(struct nameset *ns, const char *name)
{
	size_t i = ns_hash(name) & (ns->cap - 1);
	while (ns->slots[i] && strcmp(ns->slots[i], name) != 0)
		i = (i + 1) & (ns->cap - 1);
	return i;
}

/* The merged listing of an overlay directory: upper entries (whiteouts dropped), then lower
 * entries that are neither shadowed nor whited out. */
static int ovl_merge(struct dentry *dir, struct dir_snapshot *out)
{
	struct dentry *udir = ovl_upper(dir->inode), *ldir = OI(dir->inode)->lower;
	struct dir_snapshot up = { 0 }, low = { 0 };
	int r = 0;
	if (udir)
		r = list_dir(udir, &up);
	bool merge_lower = ldir && !(udir && tmpfs_is_opaque(udir->inode));
	if (r == 0 && merge_lower)
		r = list_dir(ldir, &low);
	struct nameset ns = { 0 };
	if (r == 0)
		r = ns_init(&ns, up.n);
	for (size_t i = 0; r == 0 && i < up.n; i++) {
		struct dir_snapshot_entry *e = &up.ents[i];
		bool whiteout = false;
		uint64_t ino = e->ino | OVL_UPPER_INO_BIT;
		struct dentry *c;
		if (vfs_lookup_one(udir, e->name, &c) == 0) {
			whiteout = is_whiteout(c->inode);
			uint64_t origin = tmpfs_origin(c->inode);
			if (origin)
				ino = origin;
			dentry_put(c);
		}
		ns.slots[ns_find(&ns, e->name)] = e->name;
		if (whiteout)
			continue;
		r = dir_snapshot_add(out, e->name, ino, e->type);
	}
	for (size_t i = 0; r == 0 && i < low.n; i++) {
		struct dir_snapshot_entry *e = &low.ents[i];
		if (ns.slots && ns.slots[ns_find(&ns, e->name)]) {
			/* A merged directory shows the lower number, as lookup gives it. */
			if (e->type == DT_DIR)
				for (size_t k = 0; k < out->n; k++)
					if (out->ents[k].type == DT_DIR &&
					    strcmp(out->ents[k].name, e->name) == 0 &&
					    (out->ents[k].ino & OVL_UPPER_INO_BIT))
						out->ents[k].ino = e->ino;
			continue;
		}
		r = dir_snapshot_add(out, e->name, e->ino, e->type);
	}
	free(ns.slots);
	dir_snapshot_free(&up);
	dir_snapshot_free(&low);
	return r;
}

static int ovl_iterate(struct file *f, struct dir_context *ctx)
{
	struct ovl_dir_file *df = f->priv;
	/* Read afresh at the start (opendir, rewinddir); continue from the snapshot after. */
	if (!df->loaded) {
		dir_snapshot_free(&df->snap);
		int r = ovl_merge(f->path.dentry, &df->snap);
		if (r < 0) {
			dir_snapshot_free(&df->snap);
			df->loaded = false;
			return r;
		}
		df->loaded = true;
	}
	return dir_snapshot_emit(&df->snap, ctx);
}

/* True when the merged directory d lists nothing. */
static int ovl_dir_empty(struct dentry *d)
{
	struct dir_snapshot s = { 0 };
	int r = ovl_merge(d, &s);
	if (r == 0)
		r = s.n ? -ENOTEMPTY : 0;
	dir_snapshot_free(&s);
	return r;
}

/* Removes the whiteouts left in an upper directory that is about to go. */
static int clear_whiteouts(struct dentry *udir)
{
	struct dir_snapshot s = { 0 };
	int r = list_dir(udir, &s);
	for (size_t i = 0; r == 0 && i < s.n; i++)
		if (s.ents[i].type == DT_CHR)
			r = vfs_dir_unlink(NULL, udir, s.ents[i].name, false);
	dir_snapshot_free(&s);
	return r;
}

/* ---- inode operations ---- */

static int ovl_mknod(struct dentry *dir, const char *name, const struct vfs_node *node,
		     struct inode **out)
{
	int r = copy_up(dir);
	if (r < 0)
		return r;
	struct dentry *udir = ovl_upper(dir->inode);
	bool had_whiteout = take_whiteout(udir, name);
	struct dentry *u;
	r = vfs_dir_mknod(NULL, udir, name, node, &u);
	if (r < 0) {
		if (had_whiteout)
			make_whiteout(udir, name);
		return r;
	}
	/* A new directory where a lower one was deleted must not show the old contents. */
	if (S_ISDIR(node->mode) && had_whiteout)
		tmpfs_set_opaque(u->inode, true);
	ovl_refresh(dir->inode);
	*out = ovl_new_inode(dir->sb, u, NULL);
	return *out ? 0 : -ENOMEM;
}

static int ovl_link(struct dentry *old, struct dentry *dir, const char *name)
{
	int r = copy_up(old);
	if (r == 0)
		r = copy_up(dir);
	if (r < 0)
		return r;
	struct dentry *udir = ovl_upper(dir->inode);
	bool had_whiteout = take_whiteout(udir, name);
	r = vfs_dir_link(NULL, ovl_upper(old->inode), udir, name);
	if (r < 0 && had_whiteout)
		make_whiteout(udir, name);
	ovl_refresh(old->inode);
	return r;
}

static int ovl_remove(struct dentry *dir, struct dentry *victim, bool isdir)
{
	const char *name = victim->name; /* stable: the VFS holds dir's dir_lock */
	bool need_whiteout = lower_has(dir, name);
	int r = 0;
	if (isdir) {
		r = OI(victim->inode)->lower ? ovl_dir_empty(victim) : 0;
		if (r < 0)
			return r;
	}
	if (need_whiteout) {
		r = copy_up(dir);
		if (r < 0)
			return r;
	}
	struct dentry *udir = ovl_upper(dir->inode);
	struct dentry *uvictim = ovl_upper(victim->inode);
	if (uvictim) {
		if (isdir) {
			r = clear_whiteouts(uvictim);
			if (r < 0)
				return r;
		}
		r = vfs_dir_unlink(NULL, udir, name, isdir);
		if (r < 0)
			return r;
	}
	if (need_whiteout)
		r = make_whiteout(udir, name);
	ovl_refresh(dir->inode);
	return r;
}

static int ovl_unlink(struct dentry *dir, struct dentry *victim)
{
	return ovl_remove(dir, victim, false);
}

static int ovl_rmdir(struct dentry *dir, struct dentry *victim)
{
	return ovl_remove(dir, victim, true);
}

static int ovl_rename(struct dentry *olddir, struct dentry *old, struct dentry *newdir,
		      const char *newname, struct dentry *target, unsigned int flags)
{
	if (flags & RENAME_EXCHANGE)
		return -EINVAL;
	bool isdir = S_ISDIR(old->inode->mode);
	if (isdir && OI(old->inode)->lower)
		return -EXDEV; /* callers (mv) fall back to copying */
	int r = 0;
	if (target && S_ISDIR(target->inode->mode)) {
		if (OI(target->inode)->lower)
			r = ovl_dir_empty(target);
		struct dentry *ut = ovl_upper(target->inode);
		if (r == 0 && ut)
			r = clear_whiteouts(ut);
		if (r < 0)
			return r;
	}
	r = copy_up(old);
	if (r == 0)
		r = copy_up(olddir);
	if (r == 0)
		r = copy_up(newdir);
	if (r < 0)
		return r;
	const char *oldname = old->name;
	bool old_whiteout = lower_has(olddir, oldname);
	struct dentry *uold = ovl_upper(olddir->inode), *unew = ovl_upper(newdir->inode);
	/* A file can replace a whiteout in one step; a directory cannot replace a device. */
	bool took_whiteout = isdir && take_whiteout(unew, newname);
	bool covers_lower = took_whiteout || (target && OI(target->inode)->lower);
	r = vfs_dir_rename(NULL, uold, oldname, unew, newname, 0);
	if (r < 0) {
		if (took_whiteout)
			make_whiteout(unew, newname);
		return r;
	}
	if (isdir && covers_lower)
		tmpfs_set_opaque(ovl_upper(old->inode)->inode, true);
	if (old_whiteout)
		r = make_whiteout(uold, oldname);
	ovl_refresh(olddir->inode);
	ovl_refresh(newdir->inode);
	return r;
}

static ssize_t ovl_readlink(struct dentry *d, char *buf, size_t len)
{
	return vfs_dentry_readlink(ovl_real(d->inode), buf, len);
}

static int ovl_permission(struct inode *inode, const struct creds *c, int mask)
{
	return inode_permission(c, ovl_real(inode)->inode, mask);
}

static int ovl_getattr(struct dentry *d, struct kstat *st)
{
	struct dentry *upper = ovl_upper(d->inode), *lower = OI(d->inode)->lower;
	int r = vfs_dentry_getattr(upper ? upper : lower, st);
	if (r < 0)
		return r;
	if (upper || st->dev == OSB(d->sb)->lower_dev)
		st->dev = d->sb->dev;
	st->ino = d->inode->ino;
	/* A merged directory is the image's directory with changes on top: its size and link
	 * count are the lower one's (the upper copy is an in-memory stand-in). */
	if (upper && lower && S_ISDIR(st->mode)) {
		struct kstat lst;
		if (vfs_dentry_getattr(lower, &lst) == 0) {
			st->size = lst.size;
			st->nlink = lst.nlink;
			st->blocks = lst.blocks;
			st->blksize = lst.blksize;
		}
	}
	return 0;
}

static int ovl_setattr(struct dentry *d, const struct iattr *attr)
{
	int r = copy_up(d);
	if (r == 0)
		r = vfs_dentry_setattr(ovl_upper(d->inode), attr);
	ovl_refresh(d->inode);
	return r;
}

static int ovl_open(struct dentry *d, struct file *f)
{
	struct inode *inode = d->inode;
	if (S_ISDIR(inode->mode)) {
		struct ovl_dir_file *df = calloc(1, sizeof(*df));
		if (!df)
			return -ENOMEM;
		f->priv = df;
		f->ops = &ovl_dir_fops;
		return 0;
	}
	if (S_ISREG(inode->mode) && (f->mode & FMODE_WRITE)) {
		int r = copy_up(d);
		if (r < 0)
			return r;
	}
	struct file *rf;
	int r = vfs_dentry_open(NULL, ovl_real(inode), (int)file_flags(f), &rf);
	if (r < 0)
		return r;
	f->priv = rf;
	f->ops = &ovl_file_fops;
	return 0;
}

static const struct inode_ops ovl_inode_ops = {
	.lookup = ovl_lookup,
	.mknod = ovl_mknod,
	.link = ovl_link,
	.unlink = ovl_unlink,
	.rmdir = ovl_rmdir,
	.rename = ovl_rename,
	.readlink = ovl_readlink,
	.permission = ovl_permission,
	.getattr = ovl_getattr,
	.setattr = ovl_setattr,
	.open = ovl_open,
};

/* ---- files: everything goes to the real file ----
 * Only regular files and symlinks get here (FIFOs and devices open as themselves), so there
 * is no poll hook: such files are always ready and epoll refuses them, as Linux. */

static struct file *RF(struct file *f)
{
	return f->priv;
}

static ssize_t ovl_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
	return RF(f)->ops->read ? RF(f)->ops->read(RF(f), iov, iovcnt, pos) : -EINVAL;
}

static ssize_t ovl_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
	return RF(f)->ops->write ? RF(f)->ops->write(RF(f), iov, iovcnt, pos) : -EINVAL;
}

static int64_t ovl_llseek(struct file *f, int64_t off, int whence)
{
	/* The real file knows the size (and holes); keep both positions in step. */
	struct file *rf = RF(f);
	pthread_mutex_lock(&rf->pos_lock);
	rf->pos = f->pos;
	int64_t r = rf->ops->llseek ? rf->ops->llseek(rf, off, whence) :
				      generic_file_llseek(rf, off, whence);
	if (r >= 0)
		f->pos = rf->pos;
	pthread_mutex_unlock(&rf->pos_lock);
	return r;
}

static long ovl_ioctl(struct file *f, struct task *t, unsigned int cmd, uint64_t arg)
{
	return vfs_ioctl(RF(f), t, cmd, arg);
}

static int ovl_mmap(struct file *f, uint64_t off, size_t len, struct mobj **m, uint64_t *m_off)
{
	return file_mmap_mobj(RF(f), off, len, m, m_off);
}

static int ovl_fsync(struct file *f, bool datasync)
{
	return vfs_fsync(RF(f), datasync);
}

static int ovl_fallocate(struct file *f, int mode, int64_t off, int64_t len)
{
	return vfs_fallocate(RF(f), mode, off, len);
}

static void ovl_setfl(struct file *f, unsigned int flags)
{
	file_setfl(RF(f), flags);
}

static void ovl_release(struct file *f)
{
	file_put(RF(f));
}

static const struct file_ops ovl_file_fops = {
	.read = ovl_read,
	.write = ovl_write,
	.llseek = ovl_llseek,
	.ioctl = ovl_ioctl,
	.mmap = ovl_mmap,
	.fsync = ovl_fsync,
	.fallocate = ovl_fallocate,
	.setfl = ovl_setfl,
	.release = ovl_release,
};

static void ovl_dir_release(struct file *f)
{
	struct ovl_dir_file *df = f->priv;
	dir_snapshot_free(&df->snap);
	free(df);
}

/* Seeking back to the start (rewinddir) reads the directory afresh. */
static int64_t ovl_dir_llseek(struct file *f, int64_t off, int whence)
{
	int64_t r = generic_file_llseek(f, off, whence);
	if (r == 0)
		((struct ovl_dir_file *)f->priv)->loaded = false;
	return r;
}

static const struct file_ops ovl_dir_fops = {
	.iterate = ovl_iterate,
	.llseek = ovl_dir_llseek,
	.release = ovl_dir_release,
};

/* ---- setup ---- */

struct superblock *overlay_new(struct dentry *lower_root, struct superblock *upper)
{
	if (upper->type == NULL || strcmp(upper->type, "tmpfs") != 0)
		return NULL;
	struct superblock *sb = sb_new(&ovl_sb_ops, "overlay", OVERLAYFS_SUPER_MAGIC, "overlay");
	struct ovl_sb *os = sb ? calloc(1, sizeof(*os)) : NULL;
	if (!os) {
		if (sb)
			sb_put(sb);
		return NULL;
	}
	pthread_mutex_init(&os->copyup_lock, NULL);
	sb_get(upper);
	os->upper_sb = upper;
	sb_get(lower_root->sb);
	os->lower_sb = lower_root->sb;
	dentry_get(lower_root);
	os->lower_root = lower_root;
	sb->priv = os;

	struct kstat st;
	if (vfs_dentry_getattr(lower_root, &st) < 0) {
		sb_put(sb);
		return NULL;
	}
	os->lower_dev = st.dev;
	/* The upper root stands for the lower root: same mode, owner and times. */
	struct iattr a = { .valid = ATTR_MODE | ATTR_UID | ATTR_GID | ATTR_ATIME | ATTR_MTIME,
			   .mode = st.mode & 07777,
			   .uid = st.uid,
			   .gid = st.gid,
			   .atime = st.atime,
			   .mtime = st.mtime };
	vfs_dentry_setattr(upper->root, &a);
	dentry_get(upper->root);
	dentry_get(lower_root);
	struct inode *root = ovl_new_inode(sb, upper->root, lower_root);
	if (!root || sb_set_root(sb, root) < 0) {
		sb_put(sb);
		return NULL;
	}
	return sb;
}
