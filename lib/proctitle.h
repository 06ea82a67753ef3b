/* Naming a process as ps shows it: comm and the command line. */
#ifndef CVISOR_LIB_PROCTITLE_H
#define CVISOR_LIB_PROCTITLE_H

/* Keeps argv's memory so proctitle_set can overwrite it; called first thing in main. */
void proctitle_init(int argc, char **argv);
/* Sets comm (ps -e) and, as far as argv's space allows, the command line (ps -f). */
void proctitle_set(const char *name);

#endif
