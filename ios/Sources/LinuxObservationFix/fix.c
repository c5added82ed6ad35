// Debian trixie's swiftlang ships libswiftObservation.so with an undefined reference to
// swift::threading::fatal(char const*, ...), which its libswiftCore.so does not export, so
// anything using Observation fails to link on Linux. This defines it as the Swift runtime
// does: print the message and abort. Other platforms compile nothing here.
#if defined(__linux__)
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void doorstep_swift_threading_fatal(const char *format, ...)
    __asm__("_ZN5swift9threading5fatalEPKcz");

void doorstep_swift_threading_fatal(const char *format, ...) {
  va_list args;
  va_start(args, format);
  vfprintf(stderr, format, args);
  va_end(args);
  abort();
}
#endif
