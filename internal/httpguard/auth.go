package httpguard

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
)

// KeyScheme is how a request presents the API key: the servers share one
// comparison and one refusal, and differ only in where a client of their
// API puts the key.
type KeyScheme struct {
	// Read returns the key a request presents, "" when it presents none.
	Read func(*http.Request) string
	// Challenge is sent as WWW-Authenticate on a 401, one header each.
	Challenge []string
	// Hint tells the client how to send the key, in the 401's message.
	Hint string
}

// Bearer is the scheme of OpenAI-compatible servers and of vLLM's
// --api-key: "Authorization: Bearer KEY", the scheme name in any case.
// A bare key or another scheme presents nothing.
var Bearer = KeyScheme{Read: bearer, Challenge: []string{"Bearer"}, Hint: `send "Authorization: Bearer KEY"`}

// XAPIKey is the Tinker API's scheme: the key in an X-API-Key header.
var XAPIKey = KeyScheme{
	Read: func(r *http.Request) string { return r.Header.Get("X-API-Key") },
	Hint: `send "X-API-Key: KEY"`,
}

// BearerOrBasic takes a bearer token, or the password of HTTP Basic
// authentication, which is the only way a browser following a link can
// send a key: it asks the user for it when challenged.
var BearerOrBasic = KeyScheme{
	Read:      bearerOrBasic,
	Challenge: []string{`Basic realm="research"`, "Bearer"},
	Hint:      `send "Authorization: Bearer KEY", or KEY as the password of Basic authentication`,
}

func bearer(r *http.Request) string {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return token
}

func bearerOrBasic(r *http.Request) string {
	if token := bearer(r); token != "" {
		return token
	}
	scheme, cred, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Basic") {
		return ""
	}
	dec, err := base64.StdEncoding.DecodeString(cred)
	if err != nil {
		return ""
	}
	_, pass, _ := strings.Cut(string(dec), ":")
	return pass
}

// authorized reports whether r presents the policy's key. No key, a key
// in another place than the scheme's, and a wrong key are all refused.
func (g *Guard) authorized(r *http.Request) bool {
	if g.p.APIKey == "" {
		return true
	}
	got := g.p.KeyScheme.Read(r)
	return got != "" && KeyMatches(got, g.p.APIKey)
}

// KeyMatches compares a presented key with the expected one in time that
// depends on neither: both are hashed first, so not even the length leaks.
func KeyMatches(got, want string) bool {
	a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}
