#include "cspawn.h"
int cspawn_placeholder(void) { return 0; }
