/* Signal names and numbers as runc's kill takes them: KILL, SIGKILL, kill, 9, RTMIN+3. */
#ifndef CVISOR_RUNSC_SIGNALS_H
#define CVISOR_RUNSC_SIGNALS_H

/* The signal's number (1..64), or -1 when the text names none. */
int signal_parse(const char *text);

#endif
