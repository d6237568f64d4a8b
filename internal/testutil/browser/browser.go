package browser

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/websocket"
)

// Path returns the Chromium binary. Without one the test is skipped,
// unless KGUARD_REQUIRE_BROWSER=1, which makes it fail.
func Path(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("KGUARD_REQUIRE_BROWSER") == "1" {
		t.Fatal("KGUARD_REQUIRE_BROWSER=1 but no chromium on PATH")
	}
	t.Skip("no chromium on PATH (set KGUARD_REQUIRE_BROWSER=1 to fail instead)")
	return ""
}

// baseArgs run Chromium headless as a test needs it: no sandbox (tests run
// as root in CI containers), no GPU, a throwaway profile.
func baseArgs(dir string) []string {
	return []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--hide-scrollbars", "--no-first-run", "--user-data-dir=" + filepath.Join(dir, "profile")}
}

// profileDir is a throwaway directory for Chromium's profile. Not
// t.TempDir: Chromium's helper processes may still be writing into it for a
// moment after the browser is killed, and t.TempDir fails the test when it
// cannot remove a directory; this one is removed after the process group
// is gone, retrying briefly.
func profileDir(t testing.TB) (string, func()) {
	t.Helper()
	dir, err := os.MkdirTemp("", "kguard-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	return dir, func() {
		for i := 0; i < 20; i++ {
			if os.RemoveAll(dir) == nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// ownGroup starts cmd in a process group of its own, so that stopGroup
// ends Chromium with every helper process it started.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

func stopGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Process.Kill()
	}
	cmd.Wait()
}

// DumpDOM loads file and returns the DOM after its scripts ran.
func DumpDOM(t testing.TB, file string) string {
	t.Helper()
	bin := Path(t)
	dir, remove := profileDir(t)
	defer remove()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append(baseArgs(dir), "--dump-dom", "file://"+file)...)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	ownGroup(cmd)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	// Helpers of a browser that exited may linger; end them all.
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	return stdout.String()
}

// Session is one page of a headless Chromium, driven over the DevTools
// protocol. It is closed when the test ends.
type Session struct {
	t    testing.TB
	ws   *websocket.Conn
	cmd  *exec.Cmd
	next int

	mu      sync.Mutex
	waiting map[int]chan message
	errs    []string
	loaded  chan struct{}
	readErr error
}

type message struct {
	ID     int             `json:"id,omitempty"`
	Method string          `json:"method,omitempty"`
	Params json.RawMessage `json:"params,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

// Start launches Chromium and attaches to its first page.
func Start(t testing.TB) *Session {
	t.Helper()
	bin := Path(t)
	dir, remove := profileDir(t)
	t.Cleanup(remove)
	args := append(baseArgs(dir), "--remote-debugging-port=0", "--remote-allow-origins=*", "about:blank")
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	ownGroup(cmd)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() { stopGroup(cmd) })
	// Chromium prints the DevTools address on stderr; the rest of its
	// output is drained so it never blocks.
	addr := make(chan string, 1)
	var logs bytes.Buffer
	var logMu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			logMu.Lock()
			logs.WriteString(line + "\n")
			logMu.Unlock()
			if rest, ok := strings.CutPrefix(line, "DevTools listening on ws://"); ok {
				host, _, _ := strings.Cut(rest, "/")
				select {
				case addr <- host:
				default:
				}
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	var host string
	select {
	case host = <-addr:
	case <-time.After(time.Minute):
		logMu.Lock()
		defer logMu.Unlock()
		t.Fatalf("chromium did not start its DevTools server:\n%s", logs.String())
	}
	pageWS := pageTarget(t, host)
	ws, err := websocket.Dial(pageWS, "", "http://"+host)
	if err != nil {
		t.Fatalf("attach to the page: %v", err)
	}
	ws.MaxPayloadBytes = 256 << 20 // full-page screenshots are large
	s := &Session{t: t, ws: ws, cmd: cmd, waiting: map[int]chan message{}, loaded: make(chan struct{}, 1)}
	t.Cleanup(func() { ws.Close() })
	go s.read()
	for _, m := range []string{"Page.enable", "Runtime.enable", "Log.enable"} {
		s.Call(m, nil)
	}
	return s
}

// pageTarget returns the WebSocket address of Chromium's page.
func pageTarget(t testing.TB, host string) string {
	t.Helper()
	for i := 0; i < 100; i++ {
		resp, err := http.Get("http://" + host + "/json/list")
		if err == nil {
			var targets []struct {
				Type, WebSocketDebuggerURL string
			}
			err = json.NewDecoder(resp.Body).Decode(&targets)
			resp.Body.Close()
			for _, tg := range targets {
				if tg.Type == "page" && tg.WebSocketDebuggerURL != "" {
					return tg.WebSocketDebuggerURL
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("chromium has no page to attach to")
	return ""
}

func (s *Session) read() {
	for {
		var raw []byte
		if err := websocket.Message.Receive(s.ws, &raw); err != nil {
			s.mu.Lock()
			s.readErr = err
			for _, ch := range s.waiting {
				close(ch)
			}
			s.waiting = map[int]chan message{}
			s.mu.Unlock()
			return
		}
		var m message
		if json.Unmarshal(raw, &m) != nil {
			continue
		}
		if m.ID != 0 {
			s.mu.Lock()
			ch := s.waiting[m.ID]
			delete(s.waiting, m.ID)
			s.mu.Unlock()
			if ch != nil {
				ch <- m
			}
			continue
		}
		s.event(m)
	}
}

// event records what a page must never cause.
func (s *Session) event(m message) {
	var p struct {
		Type string `json:"type"`
		Args []struct {
			Value       any    `json:"value"`
			Description string `json:"description"`
		} `json:"args"`
		ExceptionDetails struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
		Entry struct {
			Level, Text, URL string
		} `json:"entry"`
	}
	json.Unmarshal(m.Params, &p)
	var e string
	switch m.Method {
	case "Page.loadEventFired":
		select {
		case s.loaded <- struct{}{}:
		default:
		}
	case "Runtime.consoleAPICalled":
		if p.Type == "error" || p.Type == "assert" {
			var parts []string
			for _, a := range p.Args {
				parts = append(parts, fmt.Sprint(a.Value)+a.Description)
			}
			e = "console." + p.Type + ": " + strings.Join(parts, " ")
		}
	case "Runtime.exceptionThrown":
		e = "uncaught: " + p.ExceptionDetails.Text + " " + p.ExceptionDetails.Exception.Description
	case "Log.entryAdded":
		if p.Entry.Level == "error" {
			e = "log: " + p.Entry.Text + " " + p.Entry.URL
		}
	}
	if e != "" {
		s.mu.Lock()
		s.errs = append(s.errs, e)
		s.mu.Unlock()
	}
}

// Call sends a DevTools command and returns its result; a protocol error
// fails the test.
func (s *Session) Call(method string, params any) json.RawMessage {
	s.t.Helper()
	s.mu.Lock()
	if s.readErr != nil {
		s.mu.Unlock()
		s.t.Fatalf("%s: connection to chromium lost: %v", method, s.readErr)
	}
	s.next++
	id := s.next
	ch := make(chan message, 1)
	s.waiting[id] = ch
	s.mu.Unlock()
	req := map[string]any{"id": id, "method": method}
	if params != nil {
		req["params"] = params
	}
	if err := websocket.JSON.Send(s.ws, req); err != nil {
		s.t.Fatalf("%s: %v", method, err)
	}
	select {
	case m, ok := <-ch:
		if !ok {
			s.t.Fatalf("%s: connection to chromium lost", method)
		}
		if m.Error != nil {
			s.t.Fatalf("%s: %s", method, m.Error.Message)
		}
		return m.Result
	case <-time.After(2 * time.Minute):
		s.t.Fatalf("%s: no answer from chromium", method)
	}
	return nil
}

// Viewport sets the page's size in CSS pixels; mobile emulates a phone
// (meta viewport honoured, touch).
func (s *Session) Viewport(width, height int, mobile bool) {
	s.t.Helper()
	s.Call("Emulation.setDeviceMetricsOverride", map[string]any{
		"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile,
	})
}

// Open navigates to url and waits for its load event.
func (s *Session) Open(url string) {
	s.t.Helper()
	select { // a stale load event from a previous page
	case <-s.loaded:
	default:
	}
	s.Call("Page.navigate", map[string]any{"url": url})
	select {
	case <-s.loaded:
	case <-time.After(2 * time.Minute):
		s.t.Fatalf("%s did not finish loading", url)
	}
}

// Eval evaluates a JavaScript expression in the page (awaiting a promise)
// and decodes its value into out (nil to ignore it). An exception fails
// the test.
func (s *Session) Eval(expr string, out any) {
	s.t.Helper()
	raw := s.Call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true})
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		s.t.Fatal(err)
	}
	if r.ExceptionDetails != nil {
		s.t.Fatalf("evaluate %q: %s %s", expr, r.ExceptionDetails.Text, r.ExceptionDetails.Exception.Description)
	}
	if out != nil {
		if err := json.Unmarshal(r.Result.Value, out); err != nil {
			s.t.Fatalf("evaluate %q: result %s: %v", expr, r.Result.Value, err)
		}
	}
}

// Screenshot returns a PNG of the whole page (not only the viewport).
func (s *Session) Screenshot() []byte {
	s.t.Helper()
	var size struct {
		CSSContentSize struct {
			Width, Height float64
		} `json:"cssContentSize"`
	}
	if err := json.Unmarshal(s.Call("Page.getLayoutMetrics", nil), &size); err != nil {
		s.t.Fatal(err)
	}
	return s.ScreenshotClip(0, 0, size.CSSContentSize.Width, size.CSSContentSize.Height)
}

// ScreenshotClip returns a PNG of a rectangle of the page, in CSS pixels
// from the top left of the document.
func (s *Session) ScreenshotClip(x, y, width, height float64) []byte {
	s.t.Helper()
	raw := s.Call("Page.captureScreenshot", map[string]any{
		"format": "png", "captureBeyondViewport": true,
		"clip": map[string]any{"x": x, "y": y, "width": width, "height": height, "scale": 1},
	})
	var shot struct {
		Data string `json:"data"`
	}
	if err := json.Unmarshal(raw, &shot); err != nil {
		s.t.Fatal(err)
	}
	png, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil {
		s.t.Fatal(err)
	}
	return png
}

// Errors returns every console error, uncaught exception and browser log
// error seen so far.
func (s *Session) Errors() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.errs...)
}
