//go:build !unix

package diskfile

// processAlive cannot tell here, so every build is taken for alive and its
// directory kept: removing a running build's files would be worse.
func processAlive(int) bool { return true }
