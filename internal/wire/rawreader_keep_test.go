package wire

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"testing/quick"

	"github.com/gammazero/nexus/v3/transport/serialize"
	"github.com/gammazero/nexus/v3/wamp"
)

// Tests of KeepRaw and KeepRawIf: which objects a serializer keeps
// undecoded, and that they read back as the frame decoded without them.

// checkKept encodes msg (a RESULT or INVOCATION with one dictionary as
// arguments) with f's fast path, decodes it with and without KeepRaw and
// compares.
func checkKept(t *testing.T, f format, msg wamp.Message) {
	t.Helper()
	frame, ok := f.append(nil, msg)
	if !ok {
		t.Fatalf("fast path declined %#v", msg)
	}
	keep := keepRawSerializer(f)
	plain := serializerOf(f)
	want, _ := plain.Deserialize(frame)
	_, fast := f.decode(frame)
	got := keep.DeserializeBorrowed(bytes.Clone(frame))
	args := arguments(got)
	if len(args) != 1 {
		t.Fatalf("%s: kept arguments %#v", f.dump(frame), args)
	}
	raw, ok := args[0].(Raw)
	if !ok {
		t.Fatalf("%s: arguments not kept raw: %#v", f.dump(frame), args)
	}
	wantArgs := arguments(want)
	if len(wantArgs) != 1 {
		t.Fatalf("%s: decoded as %#v", f.dump(frame), want)
	}
	// The rest of the message is as without KeepRaw.
	setArguments(got, wantArgs)
	if !same(got, want) {
		t.Fatalf("%s: kept %#v, want %#v", f.dump(frame), got, want)
	}
	v, err := raw.Value()
	if err != nil || !sameValue(v, wantArgs[0]) {
		t.Fatalf("%s: Raw.Value %#v (%v), want %#v", f.dump(frame), v, err, wantArgs[0])
	}
	w, ok := walkRaw(raw)
	switch {
	case f.name == "json" && jsonEscapedKey(arguments(msg)[0]):
		if ok {
			t.Fatalf("%s: the reader took a key with an escape", f.dump(frame))
		}
	case !fast:
		if ok {
			t.Fatalf("%s: the reader read what the fast path declines: %#v", f.dump(frame), w)
		}
	case !ok || !sameValue(w, wantArgs[0]):
		t.Fatalf("%s: reader %#v (%v), want %#v", f.dump(frame), w, ok, wantArgs[0])
	}
}

func TestKeepRawEdgeCases(t *testing.T) {
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 1))
			for _, d := range edgeDicts {
				checkKept(t, f, kept(r, d))
			}
		})
	}
}

func TestKeepRawGenerated(t *testing.T) {
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) {
			for seed := range uint64(2000) {
				r := rand.New(rand.NewPCG(seed, 9))
				g := gen{r: r, wellFormed: seed%2 == 0}
				d := g.dict(1)
				if d == nil {
					d = map[string]any{}
				}
				checkKept(t, f, kept(r, d))
			}
		})
	}
}

func TestKeepRawQuick(t *testing.T) {
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(2, 2))
			check := func(w wide) bool {
				checkKept(t, f, kept(r, w.dict()))
				return !t.Failed()
			}
			if err := quick.Check(check, &quick.Config{MaxCount: 500}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// What is not one dictionary ending the frame decodes as without KeepRaw.
func TestKeepRawOnlyTheShape(t *testing.T) {
	d := map[string]any{"a": 1}
	for _, f := range formats {
		keep := keepRawSerializer(f)
		for _, msg := range []wamp.Message{
			&wamp.Result{Request: 1, Details: wamp.Dict{}, Arguments: wamp.List{d}, ArgumentsKw: wamp.Dict{"k": 1}},
			&wamp.Result{Request: 1, Details: wamp.Dict{}, Arguments: wamp.List{d, d}},
			&wamp.Result{Request: 1, Details: wamp.Dict{}, Arguments: wamp.List{[]any{1}}},
			&wamp.Result{Request: 1, Details: wamp.Dict{}, Arguments: wamp.List{"x"}},
			&wamp.Result{Request: 1, Details: wamp.Dict{}, Arguments: wamp.List{}, ArgumentsKw: wamp.Dict{"k": d}},
			&wamp.Invocation{Request: 1, Registration: 2, Details: wamp.Dict{}, Arguments: wamp.List{d}, ArgumentsKw: wamp.Dict{"k": 1}},
			&wamp.Event{Subscription: 1, Publication: 2, Details: wamp.Dict{}, Arguments: wamp.List{d}},
			&wamp.Yield{Request: 1, Options: wamp.Dict{}, Arguments: wamp.List{d}},
			&wamp.Call{Request: 1, Options: wamp.Dict{}, Procedure: "p", Arguments: wamp.List{d}},
			&wamp.Error{Type: wamp.CALL, Request: 1, Details: wamp.Dict{}, Error: "e", Arguments: wamp.List{d}},
		} {
			frame, ok := f.append(nil, msg)
			if !ok {
				t.Fatal("declined")
			}
			got, _ := keep.Deserialize(frame)
			want, _ := f.decode(frame)
			if !same(got, want) {
				t.Fatalf("%s %s: %#v, want %#v", f.name, f.dump(frame), got, want)
			}
		}
		// Without KeepRaw nothing is kept.
		frame, _ := f.append(nil, &wamp.Result{Request: 1, Details: wamp.Dict{}, Arguments: wamp.List{d}})
		m, _ := serializerOf(f).Deserialize(frame)
		if _, isRaw := m.(*wamp.Result).Arguments[0].(Raw); isRaw {
			t.Fatalf("%s: kept raw without KeepRaw", f.name)
		}
	}
}

// JSON as other encoders space it.
func TestKeepRawJSONSpacing(t *testing.T) {
	keep := keepRawSerializer(jsonFmt)
	for _, frame := range []string{
		"[50,1,{},[{\"a\":1}]]",
		" [ 50 , 1 , { } , [ { \"a\" : [ 1 , {\"b\":null} ] } ] ] \n",
		"[68,1,2,{},[\t{ } ]]",
	} {
		m, _ := keep.Deserialize([]byte(frame))
		args := arguments(m)
		raw, ok := args[0].(Raw)
		if len(args) != 1 || !ok {
			t.Fatalf("%q: %#v", frame, m)
		}
		want, _ := decodeJSONMessage([]byte(frame))
		w, ok := walkRaw(raw)
		v, err := raw.Value()
		if !ok || err != nil || !sameValue(w, arguments(want)[0]) || !sameValue(v, w) {
			t.Fatalf("%q: reader %#v %v, Value %#v %v, want %#v", frame, w, ok, v, err, arguments(want)[0])
		}
	}
}

// FuzzRawReader: on any input the reader fails or reads what the fast
// path reads, and it never panics; nor does decoding a frame with KeepRaw.
func FuzzRawReader(f *testing.F) {
	for i, ft := range formats {
		for _, d := range edgeDicts {
			f.Add(byte(i), encodeValue(f, ft, d).data)
		}
		frame, _ := ft.append(nil, &wamp.Result{Request: 1, Details: wamp.Dict{}, Arguments: wamp.List{edgeDicts[2]}})
		f.Add(byte(i), frame)
	}
	sers, keeps := make([]*Serializer, len(formats)), make([]*Serializer, len(formats))
	for i, ft := range formats {
		sers[i], keeps[i] = serializerOf(ft), keepRawSerializer(ft)
	}
	f.Fuzz(func(t *testing.T, which byte, data []byte) {
		i := int(which) % len(formats)
		ft := formats[i]
		r := Raw{ser: sers[i], data: data}
		walked, ok := walkRaw(r)
		fast, fastOK := decodeAny(ft, r)
		switch {
		case ok && fastOK && !sameValue(walked, fast):
			t.Fatalf("%s %q: reader %#v, fast path %#v", ft.name, data, walked, fast)
		case fastOK && !ok && (ft.name != "json" || bytes.IndexByte(data, '\\') < 0):
			t.Fatalf("%s %q: the reader failed on %#v", ft.name, data, fast)
		case ok && !fastOK && ft.name == "json" && bytes.IndexByte(data, '"') < 0:
			t.Fatalf("%s %q: the reader read %#v, which the fast path declines", ft.name, data, walked)
		}
		m := keeps[i].DeserializeBorrowed(data)
		if args := arguments(m); len(args) == 1 {
			if kept, isRaw := args[0].(Raw); isRaw {
				walkRaw(kept)
				// A kept object reads as the frame decoded without KeepRaw.
				got, err := kept.Value()
				plain := arguments(sers[i].DeserializeBorrowed(data))
				if err == nil && (len(plain) != 1 || !sameValue(got, plain[0])) {
					t.Fatalf("%s %q: kept %#v, without KeepRaw %#v", ft.name, data, got, plain)
				}
			}
		}
	})
}

// BenchmarkRawReader walks a struct-like dictionary of 10 keys as a typed
// decoder would (strings are the only allocations), beside Raw.Value.
func BenchmarkRawReader(b *testing.B) {
	d := edgeDicts[2]
	for _, f := range formats {
		r := encodeValue(b, f, d)
		b.Run(f.name+"/reader", func(b *testing.B) {
			b.ReportAllocs()
			var rd RawReader
			for b.Loop() {
				r.Reader(&rd)
				if !readStruct(&rd) {
					b.Fatal("failed")
				}
			}
		})
		b.Run(f.name+"/value", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Value(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestKeepRawIfAsksPerMessage: only the messages the KeepFunc wants keep
// their object raw, and it is told what the message holds before it. It is
// asked only about arguments that are one object and end the message (it
// may take a lock on the read loop): never about positional arguments, nor
// about an object followed by keyword arguments.
func TestKeepRawIfAsksPerMessage(t *testing.T) {
	for _, s := range []serialize.Serialization{serialize.JSON, serialize.MSGPACK, serialize.CBOR} {
		plain, _ := NewSerializer(s)
		keep, _ := NewSerializer(s)
		type asked struct {
			t            wamp.MessageType
			request, reg wamp.ID
			progress     bool
		}
		var got []asked
		keep.KeepRawIf(func(t wamp.MessageType, request, reg wamp.ID, details wamp.Dict) bool {
			p, _ := details["progress"].(bool)
			got = append(got, asked{t, request, reg, p})
			return request == 2
		})
		obj := wamp.List{map[string]any{"a": int64(1)}}
		for _, m := range []wamp.Message{
			&wamp.Result{Request: 1, Details: wamp.Dict{"progress": true}, Arguments: obj},
			&wamp.Result{Request: 2, Details: wamp.Dict{}, Arguments: obj},
			&wamp.Invocation{Request: 3, Registration: 9, Details: wamp.Dict{}, Arguments: obj},
			&wamp.Result{Request: 4, Details: wamp.Dict{}, Arguments: wamp.List{"hello", int64(42)}},
			&wamp.Result{Request: 5, Details: wamp.Dict{}, Arguments: obj, ArgumentsKw: wamp.Dict{"k": "v"}},
			&wamp.Invocation{Request: 6, Registration: 9, Details: wamp.Dict{}, Arguments: wamp.List{map[string]any{}, int64(1)}},
			&wamp.Result{Request: 7, Details: wamp.Dict{}, Arguments: wamp.List{wamp.List{}}},
		} {
			frame, err := plain.Serialize(m)
			if err != nil {
				t.Fatal(err)
			}
			msg, _ := keep.Deserialize(frame)
			want, _ := plain.Deserialize(frame)
			var args wamp.List
			var req wamp.ID
			switch x := msg.(type) {
			case *wamp.Result:
				args, req = x.Arguments, x.Request
			case *wamp.Invocation:
				args, req = x.Arguments, x.Request
			}
			_, kept := args[0].(Raw)
			if kept != (req == 2) {
				t.Errorf("serialization %d, request %d: kept %v", s, req, kept)
			}
			if !kept && !same(msg, want) {
				t.Errorf("serialization %d, request %d: decoded %#v, want %#v", s, req, msg, want)
			}
		}
		want := []asked{{wamp.RESULT, 1, 0, true}, {wamp.RESULT, 2, 0, false}, {wamp.INVOCATION, 3, 9, false}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("serialization %d: asked %+v, want %+v", s, got, want)
		}
	}
}

// TestKeptObjectWithBytesAfterItReadsAsBefore: a frame with bytes after
// the message, which the fallback decodes ignoring them, reads the same
// with its object kept raw.
func TestKeptObjectWithBytesAfterItReadsAsBefore(t *testing.T) {
	for _, s := range []serialize.Serialization{serialize.MSGPACK, serialize.CBOR} {
		plain, _ := NewSerializer(s)
		keep, _ := NewSerializer(s)
		keep.KeepRaw()
		frame, err := plain.Serialize(&wamp.Result{Request: 5, Details: wamp.Dict{}, Arguments: wamp.List{map[string]any{"a": "b"}}})
		if err != nil {
			t.Fatal(err)
		}
		frame = append(frame, 0x00)
		want, _ := plain.Deserialize(frame)
		got, _ := keep.Deserialize(frame)
		r, ok := got.(*wamp.Result)
		if !ok {
			t.Fatalf("serialization %d: kept frame decoded to %#v", s, got)
		}
		args, err := Unraw(r.Arguments)
		if err != nil {
			t.Fatalf("serialization %d: %v", s, err)
		}
		if w, ok := want.(*wamp.Result); !ok || !reflect.DeepEqual(wamp.List(args), w.Arguments) {
			t.Errorf("serialization %d: kept %#v, without KeepRaw %#v", s, args, want)
		}
	}
}

// TestKeptObjectIsItsFramesStrings checks that an object kept raw from a
// borrowed frame owns its bytes (the frame's buffer is the reader's to
// reuse) and that, as the strings decoded from a frame are slices of one
// copy of it, reading the object's strings copies nothing more: before, a
// kept object was a copy of its bytes, and a RawReader made one more copy
// of them as a string for the first string it read.
func TestKeptObjectIsItsFramesStrings(t *testing.T) {
	obj := map[string]any{"name": "Ada Lovelace", "email": "ada@example.com", "tags": []any{"math", "engines"}}
	for _, f := range formats {
		frame, ok := f.append(nil, &wamp.Result{Request: 9, Details: wamp.Dict{}, Arguments: wamp.List{obj}})
		if !ok {
			t.Fatalf("%s: fast path declined the RESULT", f.name)
		}
		keep := keepRawSerializer(f)
		buf := bytes.Clone(frame)
		args := arguments(keep.DeserializeBorrowed(buf))
		raw, ok := args[0].(Raw)
		if len(args) != 1 || !ok {
			t.Fatalf("%s: arguments %#v, want one Raw", f.name, args)
		}
		for i := range buf {
			buf[i] = 0xff // the reader's next frame
		}
		if v, err := raw.Value(); err != nil || !sameValue(v, obj) {
			t.Fatalf("%s: after the frame's buffer was reused the kept object reads %#v (%v)", f.name, v, err)
		}
		// A frame over sharedStringsMax has no shared string: its object
		// is a copy, which outlives the buffer too.
		big := map[string]any{"name": strings.Repeat("a", sharedStringsMax)}
		bigFrame, ok := f.append(nil, &wamp.Result{Request: 9, Details: wamp.Dict{}, Arguments: wamp.List{big}})
		if !ok {
			t.Fatalf("%s: fast path declined the large RESULT", f.name)
		}
		bigArgs := arguments(keep.DeserializeBorrowed(bigFrame))
		bigRaw, ok := bigArgs[0].(Raw)
		if len(bigArgs) != 1 || !ok {
			t.Fatalf("%s: large arguments %#v, want one Raw", f.name, bigArgs)
		}
		for i := range bigFrame {
			bigFrame[i] = 0xff
		}
		if v, err := bigRaw.Value(); err != nil || !sameValue(v, big) {
			t.Fatalf("%s: after the large frame's buffer was reused the kept object reads %v", f.name, err)
		}
		var rd RawReader
		allocs := testing.AllocsPerRun(100, func() {
			raw.Reader(&rd)
			for i, n := 0, rd.Dict(); rd.More(i, n); i++ {
				k, ok := rd.Key()
				if !ok {
					t.Fatalf("%s: key %d unread", f.name, i)
				}
				if string(k) != "tags" {
					_ = rd.String()
					continue
				}
				for j, m := 0, rd.List(); rd.More(j, m); j++ {
					_ = rd.String()
				}
			}
		})
		if allocs != 0 {
			t.Errorf("%s: reading the kept object's strings made %v allocations, want none", f.name, allocs)
		}
	}
}
