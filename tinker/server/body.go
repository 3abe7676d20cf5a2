package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/klauspost/compress/zstd"

	"research/tinker"
)

// readBody reads a request body, undoing Content-Encoding zstd (SDK 0.25
// compresses forward_backward when client/config asks it to; this server
// does not ask, but accepts it), and keeps both sizes under MaxBodyBytes.
// On failure it has answered the client.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(r.Body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body: larger than %d bytes", s.cfg.MaxBodyBytes))
		return nil, false
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("body: %v", err))
		return nil, false
	}
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
		return body, true
	case "zstd":
		d, err := zstd.NewReader(bytes.NewReader(body), zstd.WithDecoderMaxMemory(uint64(s.cfg.MaxBodyBytes)), zstd.WithDecoderConcurrency(1))
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("body: zstd: %v", err))
			return nil, false
		}
		defer d.Close()
		out, err := io.ReadAll(io.LimitReader(d, s.cfg.MaxBodyBytes+1))
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("body: zstd: %v", err))
			return nil, false
		}
		if int64(len(out)) > s.cfg.MaxBodyBytes {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body: more than %d bytes once decompressed", s.cfg.MaxBodyBytes))
			return nil, false
		}
		return out, true
	default:
		writeError(w, http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Encoding: %q: want zstd or none", enc))
		return nil, false
	}
}

// decode reads a JSON body into v (whose UnmarshalJSON is strict); on
// failure it has answered 4xx naming the field.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	body, ok := s.readBody(w, r)
	if !ok {
		return false
	}
	if isProto(r) {
		writeError(w, http.StatusUnsupportedMediaType, "Content-Type: protobuf is taken by forward_backward only; send JSON")
		return false
	}
	if err := json.Unmarshal(body, v); err != nil {
		badRequest(w, asFieldError(err))
		return false
	}
	return true
}

// asFieldError turns a decoding error that is not already a *FieldError
// (a syntax error before any field) into one about the body.
func asFieldError(err error) error {
	var fe *tinker.FieldError
	if errors.As(err, &fe) {
		return fe
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &tinker.FieldError{Field: "body", Msg: fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, se)}
	}
	return &tinker.FieldError{Field: "body", Msg: err.Error()}
}

func isProto(r *http.Request) bool {
	ct := strings.ToLower(r.Header.Get("Content-Type"))
	return strings.HasPrefix(ct, tinker.ProtoContentType)
}

// wantsProto reports whether retrieve_future's caller accepts protobuf
// results (SDK ≥ 0.18 sends Accept: application/x-protobuf for
// ForwardBackwardOutput and SampleResponse).
func wantsProto(r *http.Request) bool {
	return strings.Contains(strings.ToLower(r.Header.Get("Accept")), tinker.ProtoContentType)
}
