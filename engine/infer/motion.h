/* Internal: how far the content of one animation frame moved from the
 * previous one, as one whole-pixel shift (a pan), so stylize can hand each
 * frame to the network at the same phase of its stride as the first. */
#ifndef CG_INFER_MOTION_H
#define CG_INFER_MOTION_H

#include "comicgan/image.h"

/* The shift (dx, dy), each within +-max_shift, for which cur(x, y) best
 * matches prev(x + dx, y + dy) in luma: a scene panned left by one pixel a
 * frame gives (1, 0). Frames may differ in size; (0, 0) when nothing matches
 * better than standing still. */
void cg_motion_shift(const cg_image *prev, const cg_image *cur, int max_shift, int *dx, int *dy);

#endif
