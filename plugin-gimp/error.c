/* The plug-in's error domain (comicgan-gimp.h). In a file of its own so
 * that every file can report errors without calling back into main.c. */
#include "comicgan-gimp.h"

G_DEFINE_QUARK(comicgan-gimp-error-quark, cg_gimp_error)
