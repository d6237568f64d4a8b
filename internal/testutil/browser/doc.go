// Package browser runs headless Chromium for tests of kguard's HTML
// output. Path finds the binary (a test is skipped without it, and fails
// instead when KGUARD_REQUIRE_BROWSER=1, as in CI); DumpDOM prints the DOM
// a page builds; a Session drives one page over the DevTools protocol:
// viewport sizes (desktop, phone), navigation, script evaluation (the test
// types into filters and reads the DOM back), screenshots, and every
// console error, uncaught exception and browser log error (a blocked
// network request, a Content-Security-Policy violation) the page causes.
//
// The protocol is spoken directly over a WebSocket (golang.org/x/net,
// already a dependency of the module) with a handful of methods, rather
// than through a browser-automation library.
package browser
