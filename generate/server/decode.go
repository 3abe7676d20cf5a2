package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// decodeBody reads a JSON request body into v. A field the request type
// does not know is refused with a 400 that names it, as OpenAI's API does
// ("Unrecognized request argument"), unless the server was told to ignore
// such fields as vLLM does: a misspelt "temprature" would otherwise sample
// at the default and nobody would know. Fields of the OpenAI API that we
// do not implement but SDKs send with a neutral value are known fields;
// params.checkCompat refuses any other value of them.
func (s *Server) decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	if !s.cfg.IgnoreUnknownFields {
		dec.DisallowUnknownFields()
	}
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("data after the JSON value")
	}
	if err == nil {
		return nil
	}
	var tooBig *http.MaxBytesError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooBig):
		return &apiError{http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", tooBig.Limit), ""}
	case errors.As(err, &typeErr) && typeErr.Field != "":
		// encoding/json names a field of the embedded params by its Go
		// path; the client knows it by its JSON name.
		field := strings.TrimPrefix(typeErr.Field, "params.")
		return badRequest(field, "field %q: expected %s, got JSON %s", field, typeErr.Type, typeErr.Value)
	}
	// encoding/json has no type for this error; its text is stable.
	if name, ok := strings.CutPrefix(err.Error(), `json: unknown field "`); ok {
		name = strings.TrimSuffix(name, `"`)
		return badRequest(name, "unknown field %q: this server refuses fields it would ignore (serve-model --ignore-unknown-fields ignores them, as vLLM does)", name)
	}
	return badRequest("", "malformed JSON body: %v", err)
}
