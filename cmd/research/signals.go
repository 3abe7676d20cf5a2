package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// interruptedError is the cause of a context cancelled by a signal: a
// command that stops because of it exits 128 + the signal's number (130
// after Ctrl-C, 143 after SIGTERM), as shells and schedulers expect of an
// interrupted program, never 0, which would read as finished.
type interruptedError struct{ sig os.Signal }

func (e *interruptedError) Error() string {
	switch e.sig {
	case os.Interrupt:
		return "interrupted (SIGINT)"
	case syscall.SIGTERM:
		return "interrupted (SIGTERM)"
	}
	return fmt.Sprintf("interrupted (%v)", e.sig)
}

// Is lets errors.Is(err, context.Canceled) hold, as for any cancellation.
func (e *interruptedError) Is(target error) bool { return target == context.Canceled }

// exitCode is the status 128 + n of a signal.
func (e *interruptedError) exitCode() int {
	if s, ok := e.sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 1
}

// signalContext is signal.NotifyContext for SIGINT and SIGTERM whose
// cancellation cause (context.Cause) is an *interruptedError naming the
// signal.
func signalContext(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case s := <-ch:
			cancel(&interruptedError{sig: s})
		case <-ctx.Done():
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		cancel(context.Canceled)
	}
}

// interrupted wraps err with the signal that cancelled ctx, so that main
// exits with its status; other errors, and nil, pass unchanged.
func interrupted(ctx context.Context, err error) error {
	var ie *interruptedError
	if err == nil || !errors.As(context.Cause(ctx), &ie) {
		return err
	}
	if errors.As(err, new(*interruptedError)) {
		return err
	}
	return fmt.Errorf("%w: %w", ie, err)
}

// exitCode is the process status for an error a command returned: 128 + n
// for an interrupting signal, 1 for any other failure.
func exitCode(err error) int {
	var ie *interruptedError
	if errors.As(err, &ie) {
		return ie.exitCode()
	}
	return 1
}
