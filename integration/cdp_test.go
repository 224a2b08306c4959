package integration

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/websocket"
)

// cdpPage is a headless Chromium page driven over the DevTools protocol,
// for what --dump-dom cannot do: click a button and answer the page's
// prompt (SetPromptText), then read the page with Eval.
type cdpPage struct {
	t  *testing.T
	ws *websocket.Conn

	mu         sync.Mutex
	next       int
	waiting    map[int]chan cdpMsg
	promptText string
	prompts    int
}

type cdpMsg struct {
	ID     int             `json:"id,omitempty"`
	Method string          `json:"method,omitempty"`
	Params json.RawMessage `json:"params,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

// openCDP starts headless Chromium with its DevTools endpoint on a free
// loopback port and attaches to its page; everything stops at the test's
// end.
func openCDP(t *testing.T, chromium string) *cdpPage {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	cmd := exec.Command(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir="+t.TempDir(),
		"--remote-debugging-address=127.0.0.1", "--remote-debugging-port="+strconv.Itoa(port), "--remote-allow-origins=*", "about:blank")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	var wsURL string
	waitUntil(t, 30*time.Second, "Chromium's DevTools endpoint", func() (bool, error) {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/json/list", port))
		if err != nil {
			return false, nil
		}
		defer resp.Body.Close()
		var targets []struct{ Type, WebSocketDebuggerURL string }
		if json.NewDecoder(resp.Body).Decode(&targets) != nil {
			return false, nil
		}
		for _, tg := range targets {
			if tg.Type == "page" && tg.WebSocketDebuggerURL != "" {
				wsURL = tg.WebSocketDebuggerURL
				return true, nil
			}
		}
		return false, nil
	})
	ws, err := websocket.Dial(wsURL, "", "http://127.0.0.1/")
	if err != nil {
		t.Fatalf("DevTools websocket %s: %v", wsURL, err)
	}
	p := &cdpPage{t: t, ws: ws, waiting: map[int]chan cdpMsg{}}
	t.Cleanup(func() { _ = ws.Close() })
	go p.read()
	p.call("Page.enable", nil)
	return p
}

// read routes replies to their calls and answers every prompt.
func (p *cdpPage) read() {
	for {
		var m cdpMsg
		if err := websocket.JSON.Receive(p.ws, &m); err != nil {
			return
		}
		if m.ID > 0 {
			p.mu.Lock()
			ch := p.waiting[m.ID]
			delete(p.waiting, m.ID)
			p.mu.Unlock()
			if ch != nil {
				ch <- m
			}
			continue
		}
		if m.Method == "Page.javascriptDialogOpening" {
			p.mu.Lock()
			text := p.promptText
			p.prompts++
			p.mu.Unlock()
			go func() { // a failed answer shows as the page's missing reaction
				_, _ = p.send("Page.handleJavaScriptDialog", map[string]any{"accept": true, "promptText": text})
			}()
		}
	}
}

func (p *cdpPage) send(method string, params any) (cdpMsg, error) {
	p.mu.Lock()
	p.next++
	id := p.next
	ch := make(chan cdpMsg, 1)
	p.waiting[id] = ch
	p.mu.Unlock()
	if params == nil {
		params = map[string]any{}
	}
	if err := websocket.JSON.Send(p.ws, map[string]any{"id": id, "method": method, "params": params}); err != nil {
		return cdpMsg{}, err
	}
	select {
	case m := <-ch:
		if m.Error != nil {
			return m, fmt.Errorf("%s: %s", method, m.Error.Message)
		}
		return m, nil
	case <-time.After(30 * time.Second):
		return cdpMsg{}, fmt.Errorf("%s: no answer in 30s", method)
	}
}

func (p *cdpPage) call(method string, params any) cdpMsg {
	p.t.Helper()
	m, err := p.send(method, params)
	if err != nil {
		p.t.Fatal(err)
	}
	return m
}

// Navigate opens url.
func (p *cdpPage) Navigate(url string) { p.call("Page.navigate", map[string]any{"url": url}) }

// Eval evaluates a JavaScript expression (promises awaited) and returns
// its value as JSON text.
func (p *cdpPage) Eval(expr string) string {
	p.t.Helper()
	m := p.call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true})
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	if err := json.Unmarshal(m.Result, &r); err != nil {
		p.t.Fatal(err)
	}
	if r.ExceptionDetails != nil {
		p.t.Fatalf("evaluate %s: %s", expr, r.ExceptionDetails.Text)
	}
	return string(r.Result.Value)
}

// Prompts counts the prompts answered so far.
func (p *cdpPage) Prompts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.prompts
}

// SetPromptText sets the answer to the page's next prompts.
func (p *cdpPage) SetPromptText(s string) {
	p.mu.Lock()
	p.promptText = s
	p.mu.Unlock()
}
