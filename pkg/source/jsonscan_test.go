package source

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// member is one member as Members hands it out.
type member struct{ key, val string }

// members reads every member of obj through Members over bytes and over a
// string, which must agree.
func members(t *testing.T, obj string) ([]member, error) {
	t.Helper()
	var got []member
	it, ok := Object([]byte(obj))
	if !ok {
		return nil, errors.New("not an object")
	}
	for {
		key, val, ok := it.Next()
		if !ok {
			break
		}
		got = append(got, member{string(key), string(val)})
	}
	sit, _ := Object(obj)
	for i := 0; ; i++ {
		key, val, ok := sit.Next()
		if !ok {
			if i != len(got) || fmt.Sprint(sit.Err()) != fmt.Sprint(it.Err()) {
				t.Fatalf("%q: over a string %d members, %v; over bytes %d, %v", obj, i, sit.Err(), len(got), it.Err())
			}
			break
		}
		if i >= len(got) || (member{key, val}) != got[i] {
			t.Fatalf("%q: member %d over a string %s: %s, over bytes %v", obj, i, key, val, got)
		}
	}
	return got, it.Err()
}

func TestMembers(t *testing.T) {
	for _, tc := range []struct {
		obj  string
		want []member
	}{
		{`{}`, nil},
		{" \t\r\n{ } ", nil},
		{`{"id":"1","n":-1.5e3,"t":true,"f":false,"z":null}`,
			[]member{{`"id"`, `"1"`}, {`"n"`, `-1.5e3`}, {`"t"`, `true`}, {`"f"`, `false`}, {`"z"`, `null`}}},
		{` { "a" : { "b" : [1, "]}", {"c":"\""}] } , "d":[ ] } `,
			[]member{{`"a"`, `{ "b" : [1, "]}", {"c":"\""}] }`}, {`"d"`, `[ ]`}}},
		{`{"a":1,"a":2,"A":3}`, []member{{`"a"`, `1`}, {`"a"`, `2`}, {`"A"`, `3`}}},
		{`{"\u0069d":"x\\","a\"b":"\ud83d\ude00"}`, []member{{`"\u0069d"`, `"x\\"`}, {`"a\"b"`, `"\ud83d\ude00"`}}},
		{`{"":"Nguyễn Văn A","long key with spaces and more":"0123456789abcdef\n"}`,
			[]member{{`""`, `"Nguyễn Văn A"`}, {`"long key with spaces and more"`, `"0123456789abcdef\n"`}}},
	} {
		got, err := members(t, tc.obj)
		if err != nil || fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: members %v, %v; want %v", tc.obj, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ obj, err string }{
		{`{`, "bad member name at byte 1"},
		{`{"a"`, "missing ':' at byte 4"},
		{`{"a":`, "bad value at byte 5"},
		{`{"a":}`, "bad value at byte 5"},
		{`{"a":1 "b":2}`, "missing ',' at byte 7"},
		{`{"a":1,}`, "bad member name at byte 7"},
		{`{a:1}`, "bad member name at byte 1"},
		{`{"a\":1}`, "bad member name at byte 1"},
		{`{"a":"b\"}`, "bad value at byte 5"},
		{`{"a":[1,{"b":2}`, "bad value at byte 5"},
		{`{"a":[1,{"b":2}}`, "missing ',' at byte 16"},
	} {
		if _, err := members(t, tc.obj); err == nil || err.Error() != tc.err {
			t.Errorf("%s: err %v, want %q", tc.obj, err, tc.err)
		}
	}
	for _, v := range []string{``, ` `, `[]`, `"{}"`, `null`} {
		if _, ok := Object(v); ok {
			t.Errorf("Object(%q) is an object", v)
		}
	}
}

// TestMembersNeverPanics walks every prefix and every one-byte corruption
// of a document: Members stops, with or without an error, but never reads
// out of bounds.
func TestMembersNeverPanics(t *testing.T) {
	doc := `{"id":"1","a":[1,{"b":"\"}"}],"c":{"d":null},"e":-0.5,"f":"\u00e0\\"}`
	for i := range len(doc) + 1 {
		_, _ = members(t, doc[:i])
		for _, c := range []byte(`"\{}[],: x`) {
			b := []byte(doc)
			if i < len(b) {
				b[i] = c
			}
			_, _ = members(t, string(b))
		}
	}
}

func TestName(t *testing.T) {
	for key, want := range map[string]string{
		`"id"`: "id", `"ID"`: "ID", `""`: "", `"\u0069d"`: "id", `"a\"b"`: `a"b`, `"tab\there"`: "tab\there",
	} {
		if got := Name(key); got != want {
			t.Errorf("Name(%s) = %q, want %q", key, got, want)
		}
		if got := Name([]byte(key)); string(got) != want {
			t.Errorf("Name([]byte(%s)) = %q, want %q", key, got, want)
		}
	}
}

func TestUnquote(t *testing.T) {
	for q, want := range map[string]string{
		`""`:                                  "",
		`"plain ASCII, longer than one word"`: "plain ASCII, longer than one word",
		`"Nguyễn Văn An, Hà Nội"`:             "Nguyễn Văn An, Hà Nội",
		`"\"\\\/\b\f\n\r\t"`:                  "\"\\/\b\f\n\r\t",
		`"\u00e0\u0110\u12aF"`:                "àĐ\u12af",
		`"\ud83d\ude00 surrogate pair"`:       "😀 surrogate pair",
		`"lone \ud83d high"`:                  "lone \ufffd high",
		`"lone \ude00 low"`:                   "lone \ufffd low",
		`"high then escape \ud83d\n"`:         "high then escape \ufffd\n",
		"\"invalid \xff UTF-8 \xe0\x80\"":     "invalid \ufffd UTF-8 \ufffd\ufffd",
		`"{\"customize_4_52\": [\"1\"]}"`:     `{"customize_4_52": ["1"]}`,
	} {
		got, err := Unquote(q)
		if err != nil || got != want {
			t.Errorf("Unquote(%s) = %q, %v; want %q", q, got, err, want)
		}
		var s string
		if err := json.Unmarshal([]byte(q), &s); err != nil || s != want {
			t.Errorf("encoding/json reads %s as %q, %v; the test wants %q", q, s, err, want)
		}
		if b, err := Unquote([]byte(q)); err != nil || string(b) != want {
			t.Errorf("Unquote([]byte(%s)) = %q, %v; want %q", q, b, err, want)
		}
	}
	for _, q := range []string{``, `"`, `x`, `"a`, `a"`, `"\"`, `"\x"`, `"\u12G4"`, `"\u12"`, "\"\t\"", `"a"b"`, `"\'"`} {
		if got, err := Unquote(q); err == nil {
			t.Errorf("Unquote(%s) = %q, want an error", q, got)
		}
	}
	q := []byte(`"no escapes"`)
	if got, _ := Unquote(q); &got[0] != &q[1] {
		t.Error("Unquote copied a string without escapes")
	}
}

func TestKind(t *testing.T) {
	for v, want := range map[string]string{`"x"`: "string", `{}`: "object", `[]`: "array", `true`: "boolean", `false`: "boolean",
		`null`: "null", `-1`: "number", `0.5`: "number"} {
		if got := Kind(v); got != want {
			t.Errorf("Kind(%s) = %s, want %s", v, got, want)
		}
	}
}

func TestAppendMember(t *testing.T) {
	obj := AppendMember(nil, `"a"`, `[1, 2]`)
	obj = AppendMember(obj, `"b\"c"`, `{ "d" : null }`)
	if got, want := string(append(obj, '}')), `{"a":[1, 2],"b\"c":{ "d" : null }}`; got != want {
		t.Errorf("AppendMember built %s, want %s", got, want)
	}
}

func TestValid(t *testing.T) {
	for _, s := range []string{
		`0`, `-0.5e+10`, ` {"a" : [1, true, false, null, "x\"\\\/\b\f\n\r\t\u00e0"], "b":{}} `, `[]`, `""`, "\"\xff\"", `1E5`, `[[[[]]]]`,
		`{"id":1021110718827683840}`, `-1`, `"\u12aF"`, `"a long string, longer than a word, with \"escapes\" in it"`,
		strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth),
	} {
		if !Valid([]byte(s)) || !json.Valid([]byte(s)) {
			t.Errorf("%.40q: Valid %v, json.Valid %v; want both true", s, Valid([]byte(s)), json.Valid([]byte(s)))
		}
	}
	for _, s := range []string{
		``, ` `, `{`, `{"a":}`, `{"a" 1}`, `{"a":1,}`, `[1,]`, `[1 2]`, `01`, `-`, `1.`, `.5`, `1e`, `1e+`, `+1`, `tru`, `nul`, `"a`,
		"\"\t\"", `"\x"`, `"\u12G4"`, `"\u12"`, `{} {}`, `{"a":1}x`, `{1:2}`, `<html>`, `NaN`, `"\'"`,
		"\"a long string with a control character\x01 after the first word\"",
		`[` + strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth+1),
	} {
		if Valid([]byte(s)) || json.Valid([]byte(s)) {
			t.Errorf("%.40q: Valid %v, json.Valid %v; want both false", s, Valid([]byte(s)), json.Valid([]byte(s)))
		}
	}
}

// walk reads the value at hand with v, entering containers down to depth
// deep and reading deeper values whole, and appends every value it reads
// whole to vals.
func walk(v *Validator, deep int, vals *[]string) {
	switch {
	case deep > 0 && v.Object():
		for {
			key, ok := v.Member()
			if !ok {
				return
			}
			*vals = append(*vals, string(key))
			walk(v, deep-1, vals)
		}
	case deep > 0 && v.Array():
		for v.Element() {
			walk(v, deep-1, vals)
		}
	default:
		if val := v.Value(); val != nil {
			*vals = append(*vals, string(val))
		}
	}
}

func TestValidator(t *testing.T) {
	const page = ` {"messages": [ {"id":"1"}, 2 ,[3] ], "paging" : {"next":"a\"b"}, "e":{}, "f":[]} `
	for deep, want := range []string{
		`[{"messages": [ {"id":"1"}, 2 ,[3] ], "paging" : {"next":"a\"b"}, "e":{}, "f":[]}]`,
		`["messages" [ {"id":"1"}, 2 ,[3] ] "paging" {"next":"a\"b"} "e" {} "f" []]`,
		`["messages" {"id":"1"} 2 [3] "paging" "next" "a\"b" "e" "f"]`,
		`["messages" "id" "1" 2 3 "paging" "next" "a\"b" "e" "f"]`,
	} {
		v := NewValidator([]byte(page))
		var vals []string
		walk(&v, deep, &vals)
		if got := fmt.Sprint(vals); got != want || !v.Done() {
			t.Errorf("entering %d deep: read %s, done %v; want %s", deep, got, v.Done(), want)
		}
	}
	for _, s := range []string{`{"a":[1,2,]}`, `{"a":[1,2]`, `{"a":[1,2]]`, `{"a" [1]}`, `[{"a":1},]`, `{"a":{"b":1,}}`, `[1] [2]`, `[1]x`, `{"a":01}`} {
		v := NewValidator([]byte(s))
		var vals []string
		walk(&v, 3, &vals)
		if v.Done() {
			t.Errorf("%s: done after reading %v", s, vals)
		}
	}
	v := NewValidator([]byte(`{"a":1,"b":2}`))
	v.Object()
	v.Member()
	v.Value()
	if v.Done() {
		t.Error("done with a member left unread")
	}
	deep := []byte(strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1))
	v = NewValidator(deep)
	for v.Array() {
		v.Element()
	}
	if v.Done() || v.Peek() != 0 {
		t.Error("entered arrays deeper than encoding/json allows")
	}
	v = NewValidator([]byte(` [1] `))
	if v.Peek() != '[' || v.Object() || !v.Array() || !v.Element() || v.Peek() != '1' || string(v.Value()) != "1" || v.Element() || !v.Done() {
		t.Error("walking [1] went wrong")
	}
}

func TestScanningAllocatesNothing(t *testing.T) {
	obj := `{"id":"1021110718827683841","note":"Cảm ơn shop!","template_data":{"a":[1,"x"]},"rate":5,"is_charged":true}`
	objBytes := []byte(obj)
	page := []byte(`{"messages":[` + obj + `,` + obj + `],"paging":{"next":"x"}}`)
	if n := testing.AllocsPerRun(100, func() {
		it, _ := Object(objBytes)
		for {
			key, val, ok := it.Next()
			if !ok {
				break
			}
			_ = Name(key)
			if val[0] == '"' {
				_, _ = Unquote(val)
			}
		}
		sit, _ := Object(obj)
		for {
			if _, _, ok := sit.Next(); !ok {
				break
			}
		}
		v := NewValidator(page)
		v.Object()
		for {
			if _, ok := v.Member(); !ok {
				break
			}
			if v.Array() {
				for v.Element() {
					v.Value()
				}
			} else {
				v.Value()
			}
		}
		if !v.Done() || !Valid(page) {
			t.Fatal("the page is valid")
		}
	}); n != 0 {
		t.Errorf("%v allocations, want none", n)
	}
}

// checkScanner checks the scanner and the validator on in against
// encoding/json: Valid and a Validator walk agree with json.Valid, and on
// a valid object Members hands out every member encoding/json reads, in
// order, with exactly the bytes sent, and Unquote reads every name and
// string value as encoding/json does.
func checkScanner(t *testing.T, in string) {
	valid := json.Valid([]byte(in))
	if got := Valid([]byte(in)); got != valid {
		t.Fatalf("Valid(%q) = %v, json.Valid says %v", in, got, valid)
	}
	for deep := range 3 {
		v := NewValidator([]byte(in))
		var vals []string
		walk(&v, deep, &vals)
		if v.Done() != valid {
			t.Fatalf("walking %q %d deep: done %v, json.Valid says %v", in, deep, v.Done(), valid)
		}
	}
	checkUnquote(t, in)
	got, err := members(t, in)
	if !valid || !strings.HasPrefix(strings.TrimLeft(in, " \t\r\n"), "{") {
		return
	}
	if err != nil {
		t.Fatalf("Members(%q): %v", in, err)
	}
	dec := json.NewDecoder(strings.NewReader(in))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	n := 0
	for ; dec.More(); n++ {
		i := n
		name, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			t.Fatal(err)
		}
		if i >= len(got) {
			t.Fatalf("Members(%q) stopped after %d members", in, i)
		}
		if key, _ := Unquote(got[i].key); key != name || got[i].val != string(val) {
			t.Fatalf("Members(%q) member %d = %s: %s, encoding/json reads %q: %s", in, i, got[i].key, got[i].val, name, val)
		}
		if (utf8.ValidString(got[i].key) || strings.Contains(got[i].key, `\`)) && Name(got[i].key) != name {
			t.Fatalf("Name(%s) = %q, want %q", got[i].key, Name(got[i].key), name)
		}
		checkUnquote(t, got[i].key)
		checkUnquote(t, got[i].val)
	}
	if len(got) != n {
		t.Fatalf("Members(%q) read %d members, encoding/json %d", in, len(got), n)
	}
}

// checkUnquote checks Unquote on q, when it is quoted, against
// encoding/json.
func checkUnquote(t *testing.T, q string) {
	if len(q) < 2 || q[0] != '"' || q[len(q)-1] != '"' {
		return
	}
	var want string
	wantErr := json.Unmarshal([]byte(q), &want)
	got, err := Unquote(q)
	if (err == nil) != (wantErr == nil) || got != want {
		t.Fatalf("Unquote(%q) = %q, %v; encoding/json reads %q, %v", q, got, err, want, wantErr)
	}
}

// FuzzScanner checks the scanner and the validator against encoding/json
// on the same input (checkScanner). testdata/fuzz holds inputs fuzzing
// found.
func FuzzScanner(f *testing.F) {
	f.Add(`{"id":"998","created_at":"2021-12-16T17:43:51Z","form_id":"1","inputs":{"hobbies":["Đọc sách"]},"x":1}`)
	f.Add(`{"a":{"b":[{"c":"\\"}]},"id":null}`)
	f.Add(`{"\u0069d":"\ud83d\ude00","a\"b":[1,-0.5e3,true,false,null,{}],"c":"\ud83d x \u00e0 Nguyễn"}`)
	f.Add(`["\t",{"a":[[]]}," x "] `)
	f.Fuzz(checkScanner)
}
