// Package client is a client of the Tinker training API (package tinker
// holds the wire types): a session kept alive by heartbeats, training
// models (create_model with LoRA, forward, forward_backward, optim_step,
// save_weights, save_weights_for_sampler, load_weights), sampling
// sessions (asample, prompt logprobs), and the futures their results come
// through (retrieve_future).
//
// It speaks the JSON wire of SDK ≤ 0.24 and SkyRL, and sends
// forward_backward as protobuf when the server's client/config asks for it
// (proto_write_fwdbwd), as the official SDK does; it accepts results in
// either form.
//
// It behaves as the official SDK does on the wire
// (../shared/reference/tinker_wire.md): X-API-Key on every call; one
// X-Idempotency-Key per logical request, resent on its HTTP retries; a
// training model's requests numbered seq_id 1, 2, 3, … and submitted in
// that order; retries with exponential backoff on 408, 409, 429, 5xx and
// connection errors, honouring Retry-After, for up to Options.RetryFor;
// futures polled through try_again answers, 408 long-poll timeouts and
// complete_metadata. Unlike the SDK it stops retrying once RetryFor has
// passed without an answer, and says so: a server that died mid-run is an
// error naming the route and the address, not a hang.
package client
