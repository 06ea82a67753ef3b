/* Naming a process as ps shows it: comm and the command line. */
#ifndef CVISOR_LIB_PROCTITLE_H
#define CVISOR_LIB_PROCTITLE_H

/* Moves the argv strings to the heap (argv[i] point there after) so that proctitle_set can
 * overwrite their original space; called first thing in main. */
void proctitle_init(int argc, char **argv);
/* Sets comm (ps -e) and, as far as argv's space allows, the command line (ps -f). */
void proctitle_set(const char *name);

#endif
