//go:build !(linux && webkit2_41)

package main

// tuneWebKit has nothing to tune outside WebKitGTK (WebView2 on Windows,
// WKWebView on macOS).
func tuneWebKit() {}
