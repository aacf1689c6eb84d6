#ifndef CSPAWN_H
#define CSPAWN_H
/* The child side of spawning. Filled by the sandbox work. */
int cspawn_placeholder(void);
#endif
