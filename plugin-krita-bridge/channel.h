/* comicgan-bridge — the two pipes: frames in on one thread, frames out from
 * any thread.
 *
 * A reader thread reads standard input all the time, so that a `cancel` is
 * seen while the main thread is busy stylizing. It answers malformed frames
 * itself (PROTOCOL.md, "Robustness"), handles `cancel`, and hands every valid
 * request, payload read, to the main thread through a one-message slot. */
#ifndef CGB_CHANNEL_H
#define CGB_CHANNEL_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "protocol.h"

typedef struct cgb_message {
    cgb_request req;
    uint8_t *payload; /* req.payload bytes, or NULL when 0 */
} cgb_message;

void cgb_message_free(cgb_message *m);

typedef struct cgb_channel cgb_channel;

/* A channel reading in_fd and writing out_fd, its reader thread started. */
cgb_channel *cgb_channel_start(int in_fd, int out_fd);

/* Waits for the next request and makes it the running one (the one a
 * `cancel` can stop). NULL once input has ended or output has failed: the
 * program should then exit. The caller frees the message. */
cgb_message *cgb_channel_next(cgb_channel *ch);

/* Frees the channel once cgb_channel_next has returned NULL (when the
 * reader thread is still blocked on input, the channel is left to the end of
 * the process). */
void cgb_channel_free(cgb_channel *ch);

/* Ends the running request: later cancels for it are ignored. */
void cgb_channel_done(cgb_channel *ch);

/* True when the running request should stop: cancelled, or the client gone. */
bool cgb_channel_cancelled(cgb_channel *ch);

/* A reply header: {"type": type, "id": id (null when < 0), ...}. Add members
 * with the builder, then hand it to cgb_channel_send, which closes it. */
JsonBuilder *cgb_reply_begin(const char *type, int64_t id);

/* Adds "payload": size, closes the header and writes the frame. False if the
 * header is over the limit or output failed (the channel then ends). */
bool cgb_channel_send(cgb_channel *ch, JsonBuilder *b, const void *payload, uint64_t size);

void cgb_channel_send_error(cgb_channel *ch, int64_t id, const char *code, const char *message);

#endif
