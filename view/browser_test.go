package view

import (
	"context"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Screenshots for docs/: go test ./view -run TestScreenshots -args
// -screenshots ../docs -rundir ../runs/demo,../runs/eval (see README).
var (
	screenshotDir = flag.String("screenshots", "", "write a PNG of each page to this directory (TestScreenshots)")
	screenshotRun = flag.String("rundir", "", "comma-separated run directories to take the screenshots on")
)

// chromium finds the browser. Without one the test fails: CI installs it
// (.ci/run). Only outside CI may RESEARCH_SKIP_BROWSER=1 turn the failure
// into a skip, for a machine where it cannot be installed.
func chromium(t *testing.T) string {
	t.Helper()
	cands := []string{os.Getenv("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"}
	for _, c := range cands {
		if c == "" {
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	msg := "chromium not found: install it (apt-get install chromium; .ci/run does) or set $CHROMIUM"
	if os.Getenv("RESEARCH_SKIP_BROWSER") == "1" && os.Getenv("CI") == "" {
		t.Skip("!!! SKIPPING THE BROWSER TESTS: " + msg + " !!!")
	}
	t.Fatal(msg + "; RESEARCH_SKIP_BROWSER=1 skips this test outside CI")
	return ""
}

// browser starts a headless chromium for the test and collects what the
// pages write to the console and any dialog they open (closing it, so
// that the page goes on).
type browser struct {
	ctx     context.Context
	mu      sync.Mutex
	console []string
	dialogs []string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	path := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		// The network is closed in CI: nothing may call out.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 860),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	b := &browser{ctx: ctx}
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	messages := chromedp.Console(ctx)
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				b.mu.Lock()
				b.console = append(b.console, fmt.Sprintf("%s:%d %s", m.URL, m.Line+1, m.Text))
				b.mu.Unlock()
			}
		}
	}()
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.dialogs = append(b.dialogs, ev.Message)
			b.mu.Unlock()
			chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	return b
}

// check fails the test for any console error or dialog so far.
func (b *browser) check(t *testing.T, where string) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range b.console {
		t.Errorf("%s: console error: %s", where, c)
	}
	for _, d := range b.dialogs {
		t.Errorf("%s: the page opened a dialog: %q", where, d)
	}
	b.console, b.dialogs = nil, nil
}

func (b *browser) do(t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

func js[T any](t *testing.T, b *browser, expr string) T {
	t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// waitFor polls a JavaScript condition until it holds.
func (b *browser) waitFor(t *testing.T, js string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](js))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: %v", js, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestBrowser(t *testing.T) {
	dir := t.TempDir()
	writeTrainRun(t, dir, fixture{steps: 6, questions: 4, n: 3, valEvery: 3})
	writeEvalRun(t, dir, 3)
	s := newServer(t, dir, Options{Poll: 200 * time.Millisecond})
	ts := httptest.NewServer(s)
	defer ts.Close()
	b := newBrowser(t)

	t.Run("overview draws every metric and updates live", func(t *testing.T) {
		b.do(t, chromedp.Navigate(ts.URL+"/"))
		b.waitFor(t, `document.querySelectorAll('#charts figure.chart path.train').length >= 5`)
		if n := js[int](t, b, `document.querySelectorAll('#charts figure.chart').length`); n != 7 {
			t.Errorf("%d charts, want 7 (one per metric)", n)
		}
		if n := js[int](t, b, `document.querySelectorAll('figure[data-metric=reward_mean] circle.valdot').length`); n != 2 {
			t.Errorf("reward chart: %d validation points, want 2", n)
		}
		// Hover: the legend names the step under the pointer.
		box := js[[]float64](t, b, `(() => { const r = document.querySelector('figure[data-metric=reward_mean] svg').getBoundingClientRect(); return [r.left + r.width * 0.9, r.top + r.height / 2]; })()`)
		b.do(t, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, box[0], box[1]))
		b.waitFor(t, `document.querySelector('figure[data-metric=reward_mean] .legend').textContent.startsWith('step ')`)
		// Zoom: a drag narrows the steps shown on every chart.
		r := js[[]float64](t, b, `(() => { const r = document.querySelector('figure[data-metric=em] svg').getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()`)
		y := r[1] + r[3]/2
		b.do(t,
			chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, r[0]+r[2]*0.2, y, chromedp.ButtonLeft),
			chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, r[0]+r[2]*0.5, y, chromedp.ButtonLeft),
			chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, r[0]+r[2]*0.5, y, chromedp.ButtonLeft),
		)
		ticks := `Array.from(document.querySelectorAll('figure[data-metric=kl] text.tick')).map(e => e.textContent).join(' ')`
		zoomed := js[string](t, b, ticks)
		b.do(t, chromedp.Click(chromedp.ID("zoom-reset")))
		if reset := js[string](t, b, ticks); reset == zoomed {
			t.Errorf("zoom did not change the axis: %q", zoomed)
		}
		// Smoothing draws the raw curve faintly beside the smoothed one.
		b.do(t, chromedp.SetValue(chromedp.ID("smooth"), "0"))
		b.do(t, chromedp.Evaluate[chromedp.Void](`document.getElementById('smooth').dispatchEvent(new Event('input'))`))
		if n := js[int](t, b, `document.querySelectorAll('#charts path.raw').length`); n != 0 {
			t.Errorf("smoothing 0: %d raw curves, want none", n)
		}
		// A step appended to metrics.jsonl shows without a reload.
		f, err := os.OpenFile(filepath.Join(dir, "metrics.jsonl"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(f, `{"step":7,"phase":"train","reward_mean":0.95,"em":0.5}`)
		f.Close()
		b.waitFor(t, `document.getElementById('charts').dataset.points === '9'`)
		b.check(t, "overview")
	})

	t.Run("links lead to step 1 and a filter narrows it", func(t *testing.T) {
		if _, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.ID("first-step"))); err != nil {
			t.Fatal(err)
		}
		if u := js[string](t, b, `location.pathname`); u != "/rollouts/train/1" {
			t.Fatalf("at %s", u)
		}
		all := js[int](t, b, `document.querySelectorAll('a.card').length`)
		// Choosing from a menu submits the form (app.js).
		pick := `(() => { const s = document.querySelector('#filters select[name=type]'); s.value = 'chain'; s.dispatchEvent(new Event('change')); })()`
		if _, err := chromedp.RunResponse(b.ctx, chromedp.Evaluate[chromedp.Void](pick)); err != nil {
			t.Fatal(err)
		}
		if q := js[string](t, b, `location.search`); q != "?type=chain" {
			t.Errorf("filtered URL %q", q)
		}
		got := js[int](t, b, `document.querySelectorAll('a.card').length`)
		if all != 12 || got != 3 {
			t.Errorf("cards: %d before the filter, %d after; want 12 and 3", all, got)
		}
		if txt := js[string](t, b, `document.getElementById('count').textContent`); !strings.HasPrefix(txt, "3 of 12") {
			t.Errorf("count %q", txt)
		}
		b.check(t, "step page")
	})

	t.Run("a trace shows its parts and a hostile rollout stays text", func(t *testing.T) {
		b.do(t, chromedp.Navigate(ts.URL+"/rollouts/train/1"))
		if _, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(`a.card[href$="/1/0"]`))); err != nil {
			t.Fatal(err)
		}
		for _, part := range []string{"think", "search", "result", "answer"} {
			if n := js[int](t, b, `document.querySelectorAll('.trace .part.`+part+`').length`); n == 0 {
				t.Errorf("no %s part", part)
			}
		}
		// Results are collapsed until opened.
		if js[bool](t, b, `document.querySelector('.part.result').open`) {
			t.Error("a result starts open")
		}
		b.do(t, chromedp.Click(chromedp.CSS(`.part.result summary`)))
		if txt := js[string](t, b, `document.querySelector('.part.result pre').innerText`); !strings.Contains(txt, hostileScript) {
			t.Errorf("result text %q lacks the hostile text", txt)
		}
		for sel, want := range map[string]string{
			"h2.question":      hostileScript,
			".part.search pre": hostileImg,
			"dd.answer":        hostileImg,
		} {
			txt := js[string](t, b, `document.querySelector('`+sel+`').innerText`)
			if !strings.Contains(txt, want) {
				t.Errorf("%s shows %q, want the text %q", sel, txt, want)
			}
		}
		if n := js[int](t, b, `document.querySelectorAll('main script, main img, [onerror]').length`); n != 0 {
			t.Errorf("the page holds %d script, img or onerror elements from model output", n)
		}
		b.check(t, "trace")
	})

	for _, path := range []string{"/steps", "/rollouts/val/3", "/eval", "/eval/research/test/0", "/eval/naive-rag/test/0", "/compare/test", "/compare/test/0", "/search"} {
		t.Run("loads "+path, func(t *testing.T) {
			b.do(t, chromedp.Navigate(ts.URL+path))
			if h := js[string](t, b, `document.querySelector('h1').textContent`); h == "" {
				t.Error("no heading")
			}
			if n := js[int](t, b, `document.querySelectorAll('main script, main img').length`); n != 0 {
				t.Errorf("%d script or img elements in the page", n)
			}
			b.check(t, path)
		})
	}
}

// TestScreenshots writes docs/ screenshots when -screenshots is given.
func TestScreenshots(t *testing.T) {
	if *screenshotDir == "" {
		t.Skip("no -screenshots directory")
	}
	if *screenshotRun == "" {
		t.Fatal("-screenshots needs -rundir")
	}
	b := newBrowser(t)
	written := map[string]bool{}
	for _, dir := range strings.Split(*screenshotRun, ",") {
		run, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		s, err := New(run, Options{})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(s)
		pages := map[string]string{"overview": "/"}
		if dumps, _ := run.listDumps(); len(dumps) > 0 {
			ref := dumps[0]
			pages["rollouts"] = fmt.Sprintf("/rollouts/%s/%d", ref.Phase, ref.Step)
			if st, err := run.step(ref); err == nil {
				pages["trace"] = pages["rollouts"] + "/" + fmt.Sprint(bestTrace(st))
			}
		}
		if ds := run.evals.datasets(); len(ds) > 0 {
			pages["compare"] = "/compare/" + ds[0]
			pages["question"] = "/compare/" + ds[0] + "/1"
		}
		if run.IndexDir != "" {
			pages["search"] = "/search?q=capital+of+Rulro"
		}
		for name, path := range pages {
			b.do(t, chromedp.Navigate(ts.URL+path))
			if name == "overview" && run.TrainDir != "" {
				b.waitFor(t, `document.querySelectorAll('#charts path.train').length > 0`)
			}
			png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
			if err != nil {
				t.Fatal(err)
			}
			// A second run's pages take its kind: view-eval-overview.png.
			if written[name] {
				name = run.Kind + "-" + name
			}
			written[name] = true
			out := filepath.Join(*screenshotDir, "view-"+name+".png")
			if err := os.WriteFile(out, png, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s → %s", path, out)
			b.check(t, path)
		}
		ts.Close()
		run.Close()
	}
}

// bestTrace picks a rollout worth showing: the first with the most searches
// and a reward, else the first.
func bestTrace(st *Step) int {
	best, score := 0, -1.0
	for i, r := range st.Rollouts {
		if s := float64(len(r.T.Searches)) + r.T.Reward; s > score {
			best, score = i, s
		}
	}
	return best
}
