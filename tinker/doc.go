// Package tinker holds the wire format of the Tinker training API
// (thinking-machines-lab/tinker, the SDK; NovaSky-AI/SkyRL's tx server):
// the JSON requests and results of its routes, the futures that carry
// results, the protobuf that SDK 0.25 sends for forward_backward and
// expects for forward_backward and sample results, and the four documented
// losses. The server (package tinker/server) and a client share these
// types; ../shared/reference/tinker_wire.md is the reading of the sources
// they follow.
//
// Requests are decoded strictly, as the SDK's request models (StrictBase,
// extra="forbid") are: an unknown key, a missing required field or a value
// of the wrong type is a *FieldError naming the field by its path
// (forward_backward_input.data[2].loss_fn_inputs.weights.dtype), so that a
// server can answer 400 naming it.
package tinker
