package client

// Policy is a shared registration's invocation policy (REGISTER
// Options.invoke): which of the callees registered for one procedure gets
// a call. callee.Policy and metaclient.Policy are this type.
type Policy string

// The WAMP invocation policies. Every callee of a shared registration must
// register with the same policy; the router refuses the others.
const (
	// InvokeSingle (the default): one callee only; a second REGISTER is
	// refused with wamp.error.procedure_already_exists.
	InvokeSingle Policy = "single"
	// InvokeRoundRobin cycles through the callees in registration order.
	InvokeRoundRobin Policy = "roundrobin"
	// InvokeRandom picks a callee at random for every call.
	InvokeRandom Policy = "random"
	// InvokeFirst sends every call to the earliest registered callee still
	// present (hot standby).
	InvokeFirst Policy = "first"
	// InvokeLast sends every call to the latest registered callee.
	InvokeLast Policy = "last"
)

// Valid reports whether p is one of the five WAMP policies.
func (p Policy) Valid() bool {
	switch p {
	case InvokeSingle, InvokeRoundRobin, InvokeRandom, InvokeFirst, InvokeLast:
		return true
	}
	return false
}
