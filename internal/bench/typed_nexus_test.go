package bench

import (
	"context"
	"fmt"
	"testing"

	nxclient "github.com/gammazero/nexus/v3/client"
	"github.com/gammazero/nexus/v3/wamp"
)

// What a nexus user writes to get the same typed values wampkit hands out:
// the conversions by hand, field by field, with nexus's wamp.As* helpers.
// It is the fastest conversion a nexus user can write (no reflection), and
// it is the baseline for what wampkit's typed layer adds ("nexus+conv").

func smallToList(s Small) wamp.List { return wamp.List{s.S, s.N} }

func smallFromList(l wamp.List) (Small, error) {
	if len(l) < 2 {
		return Small{}, fmt.Errorf("want 2 arguments, got %d", len(l))
	}
	s, ok := wamp.AsString(l[0])
	n, ok2 := wamp.AsInt64(l[1])
	if !ok || !ok2 {
		return Small{}, fmt.Errorf("bad arguments %v", l)
	}
	return Small{S: s, N: int(n)}, nil
}

func struct10ToDict(s Struct10) wamp.Dict {
	tags := make(wamp.List, len(s.Tags))
	for i, t := range s.Tags {
		tags[i] = t
	}
	return wamp.Dict{"id": s.ID, "name": s.Name, "email": s.Email, "age": s.Age, "score": s.Score,
		"active": s.Active, "tags": tags, "country": s.Country, "created": s.Created, "level": s.Level}
}

func struct10FromDict(v any) (Struct10, error) {
	d, ok := v.(wamp.Dict) // what JSON and in-process peers deliver
	if !ok {
		if d, ok = wamp.AsDict(v); !ok { // msgpack's map[any]any, by reflection
			return Struct10{}, fmt.Errorf("want an object, got %T", v)
		}
	}
	var s Struct10
	var okID, okAge, okLevel, okScore bool
	var age, level int64
	s.ID, okID = wamp.AsInt64(d["id"])
	s.Name, _ = wamp.AsString(d["name"])
	s.Email, _ = wamp.AsString(d["email"])
	age, okAge = wamp.AsInt64(d["age"])
	s.Score, okScore = wamp.AsFloat64(d["score"])
	s.Active, _ = wamp.AsBool(d["active"])
	if tags, ok := wamp.AsList(d["tags"]); ok {
		s.Tags = make([]string, len(tags))
		for i, t := range tags {
			s.Tags[i], _ = wamp.AsString(t)
		}
	}
	s.Country, _ = wamp.AsString(d["country"])
	s.Created, _ = wamp.AsString(d["created"])
	level, okLevel = wamp.AsInt64(d["level"])
	if !okID || !okAge || !okScore || !okLevel || level < 0 || level > 1<<32-1 {
		return Struct10{}, fmt.Errorf("bad object %v", d)
	}
	s.Age, s.Level = int(age), uint32(level)
	return s, nil
}

func benchNexusConv(b *testing.B, s *server, tr transport, mode, payload string) {
	ctx := context.Background()
	srv, c := nexusClient(b, s, tr), nexusClient(b, s, tr)
	var call func() error
	switch payload {
	case "small":
		handler := func(_ context.Context, inv *wamp.Invocation) nxclient.InvokeResult {
			in, err := smallFromList(inv.Arguments)
			if err != nil {
				return nxclient.InvokeResult{Err: wamp.ErrInvalidArgument, Args: wamp.List{err.Error()}}
			}
			out, _ := echoSmall(ctx, in)
			return nxclient.InvokeResult{Args: smallToList(out)}
		}
		if err := srv.Register("bench.small", handler, nil); err != nil {
			b.Fatal(err)
		}
		in := Small{"hello", 42}
		call = func() error {
			res, err := c.Call(ctx, "bench.small", nil, smallToList(in), nil, nil)
			if err != nil {
				return err
			}
			out, err := smallFromList(res.Arguments)
			if err == nil && out != in {
				err = fmt.Errorf("got %+v", out)
			}
			return err
		}
	default:
		handler := func(_ context.Context, inv *wamp.Invocation) nxclient.InvokeResult {
			if len(inv.Arguments) != 1 {
				return nxclient.InvokeResult{Err: wamp.ErrInvalidArgument}
			}
			in, err := struct10FromDict(inv.Arguments[0])
			if err != nil {
				return nxclient.InvokeResult{Err: wamp.ErrInvalidArgument, Args: wamp.List{err.Error()}}
			}
			out, _ := echoStruct(ctx, in)
			return nxclient.InvokeResult{Args: wamp.List{struct10ToDict(out)}}
		}
		if err := srv.Register("bench.struct", handler, nil); err != nil {
			b.Fatal(err)
		}
		call = func() error {
			res, err := c.Call(ctx, "bench.struct", nil, wamp.List{struct10ToDict(struct10)}, nil, nil)
			if err != nil {
				return err
			}
			if len(res.Arguments) != 1 {
				return fmt.Errorf("got %v", res.Arguments)
			}
			out, err := struct10FromDict(res.Arguments[0])
			if err == nil && out.Name != struct10.Name {
				err = fmt.Errorf("got %+v", out)
			}
			return err
		}
	}
	run(b, mode, call)
}
