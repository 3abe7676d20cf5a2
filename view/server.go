package view

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log"
	"net/http"
	"time"

	"research/internal/httpguard"
)

//go:embed assets
var assets embed.FS

// Options configure the server.
type Options struct {
	// APIKey, if set, must come as "Authorization: Bearer KEY", as the
	// project's servers take it, or as the password of HTTP Basic
	// authentication (any user name), which is what a browser can send.
	APIKey string
	// Poll is how often the overview asks for new metrics; default 3 s.
	Poll time.Duration
	// Log receives handler errors; nil discards them.
	Log *log.Logger
}

// Server serves a run's pages. It only reads.
type Server struct {
	run     *Run
	opt     Options
	mux     *http.ServeMux
	guarded http.Handler
	tmpl    *template.Template
}

// contentSecurity forbids inline script and style and any other origin:
// even markup that escaped the templates could not run.
const contentSecurity = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// New returns the handler of run's pages.
func New(run *Run, opt Options) (*Server, error) {
	if opt.Poll <= 0 {
		opt.Poll = 3 * time.Second
	}
	tmpl, err := template.New("").Funcs(funcs).ParseFS(assets, "assets/*.html")
	if err != nil {
		return nil, fmt.Errorf("view: templates: %w", err)
	}
	s := &Server{run: run, opt: opt, mux: http.NewServeMux(), tmpl: tmpl}
	static, _ := fs.Sub(assets, "assets/static")
	// Patterns with GET also answer HEAD; any other method gets a 405:
	// nothing here changes anything.
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	s.mux.HandleFunc("GET /{$}", s.overview)
	s.mux.HandleFunc("GET /steps", s.steps)
	s.mux.HandleFunc("GET /rollouts/{phase}/{step}", s.stepPage)
	s.mux.HandleFunc("GET /rollouts/{phase}/{step}/{index}", s.rolloutPage)
	s.mux.HandleFunc("GET /eval", s.evalIndex)
	s.mux.HandleFunc("GET /eval/{method}/{dataset}", s.evalFile)
	s.mux.HandleFunc("GET /eval/{method}/{dataset}/{n}", s.evalRecord)
	s.mux.HandleFunc("GET /compare/{dataset}", s.comparePage)
	s.mux.HandleFunc("GET /compare/{dataset}/{n}", s.compareQuestion)
	s.mux.HandleFunc("GET /search", s.searchPage)
	s.mux.HandleFunc("GET /api/metrics", s.apiMetrics)
	// The project's one server policy: the key, bounded requests in
	// flight, a deadline, panic recovery. A browser following a link
	// cannot send a bearer token, so the key may also come as the
	// password of HTTP Basic authentication, which the browser asks for.
	logw := io.Discard
	if opt.Log != nil {
		logw = opt.Log.Writer()
	}
	s.guarded = httpguard.New(httpguard.Policy{Name: "view", APIKey: opt.APIKey, KeyScheme: httpguard.BearerOrBasic,
		Timeout: time.Minute, Log: logw,
		Error: func(w http.ResponseWriter, status int, msg string) { http.Error(w, msg, status) },
	}).Wrap(s.mux)
	return s, nil
}

// ServeHTTP sets the headers every answer carries and serves the page
// under the guard, which also keeps one bad file from taking the server
// down.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurity)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	s.guarded.ServeHTTP(w, r)
}

func (s *Server) logf(format string, args ...any) {
	if s.opt.Log != nil {
		s.opt.Log.Printf(format, args...)
	}
}

// render executes a page into a buffer first, so that a template error
// becomes a 500 rather than half a page.
func (s *Server) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		s.logf("view: render %s: %v", name, err)
		http.Error(w, "internal error rendering the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	buf.WriteTo(w)
}

// notFound answers a page that names a step, rollout or file the run
// does not hold.
func (s *Server) notFound(w http.ResponseWriter, what string) {
	s.render(w, http.StatusNotFound, "error.html", s.page("Not found", errorData{Message: what}))
}

type errorData struct{ Message string }
