// ANNAL_EXPORT marks what libannal shows to programs; everything else in it is hidden.
#pragma once

#if defined(__GNUC__) || defined(__clang__)
/// On a class: its members, vtable and type information are visible outside libannal. On a
/// function: the function is. Declarations without it are private to the library.
#define ANNAL_EXPORT __attribute__((visibility("default")))
#else
#define ANNAL_EXPORT
#endif
