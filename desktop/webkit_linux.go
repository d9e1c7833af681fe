//go:build linux && webkit2_41

package main

/*
#cgo pkg-config: webkit2gtk-4.1
#include <webkit2/webkit2.h>

// The app shows a handful of local pages and calls its API from Go: it has
// nothing to gain from WebKit's web-browser cache model (a memory cache of
// decoded resources and a back/forward page cache), which holds megabytes in
// the web process. The document-viewer model turns both off.
static gboolean agentdesk_tune_webkit(gpointer unused) {
	webkit_web_context_set_cache_model(webkit_web_context_get_default(), WEBKIT_CACHE_MODEL_DOCUMENT_VIEWER);
	return G_SOURCE_REMOVE;
}

static void agentdesk_schedule_webkit_tuning(void) { g_idle_add(agentdesk_tune_webkit, NULL); }
*/
import "C"

// tuneWebKit sets WebKit's cache model on the GTK main loop's first turn,
// once Wails has initialised GTK and created the web context (calling it
// before gtk_init is not safe). The setting reaches the web process as
// soon as it runs, long before the first page has loaded its images.
func tuneWebKit() { C.agentdesk_schedule_webkit_tuning() }
