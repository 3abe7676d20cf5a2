package httpguard

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// authorized reports whether r carries the policy's key as a bearer token.
// A bare key, another scheme or a wrong key are all refused: one rule for
// every server.
func (g *Guard) authorized(r *http.Request) bool {
	if g.p.APIKey == "" {
		return true
	}
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	return KeyMatches(token, g.p.APIKey)
}

// KeyMatches compares a presented key with the expected one in time that
// depends on neither: both are hashed first, so not even the length leaks.
func KeyMatches(got, want string) bool {
	a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}
