#ifndef ATTENDANCE_CLIBPQ_SHIM_H
#define ATTENDANCE_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
