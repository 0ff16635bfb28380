#ifndef BACKUPKIT_CZLIB_SHIM_H
#define BACKUPKIT_CZLIB_SHIM_H
#include <zlib.h>
#endif
