package schema

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/sr"
)

// Compatibility is the check run against a subject's latest registered
// schema before registering a new one, named like the registry's levels.
type Compatibility string

// The compatibility checks.
const (
	// CompatBackward, the default: a reader using the new schema can read
	// data written with the latest registered one.
	CompatBackward Compatibility = "BACKWARD"
	// CompatForward: a reader using the latest registered schema can read
	// data written with the new one.
	CompatForward Compatibility = "FORWARD"
	// CompatFull: both BACKWARD and FORWARD.
	CompatFull Compatibility = "FULL"
	// CompatNone: no check.
	CompatNone Compatibility = "NONE"
)

// ParseCompatibility parses a compatibility name, case-insensitively; the
// empty string means BACKWARD.
func ParseCompatibility(s string) (Compatibility, error) {
	switch c := Compatibility(strings.ToUpper(strings.TrimSpace(s))); c {
	case "":
		return CompatBackward, nil
	case CompatBackward, CompatForward, CompatFull, CompatNone:
		return c, nil
	}
	return "", fmt.Errorf("schema: unknown compatibility %q (want BACKWARD, FORWARD, FULL or NONE)", s)
}

// NewRegistryCodec registers the entity's key and envelope schemas (KeyText
// and ValueText) under the subjects <topic>-key and <topic>-value and returns
// a Codec writing the Confluent wire format: a 0 byte, the 4-byte big-endian
// schema id, then the Avro binary encoding. KeySchema and ValueSchema are
// "id:" and the schema id.
//
// Before registering, each schema is checked against the subject's latest
// registered version as compat says (the empty Compatibility means
// BACKWARD); an incompatible schema fails with an error naming the subject,
// the version and the field. A subject without versions is registered
// without a check. Registering a schema the subject already has returns its
// existing id. valueType is as for NewSingleObjectCodec.
func NewRegistryCodec(ctx context.Context, cl *sr.Client, topic string, e *Entity, valueType any, compat Compatibility) (*Codec, error) {
	if cl == nil {
		return nil, errors.New("schema registry: nil client")
	}
	if topic == "" {
		return nil, errors.New("schema registry: empty topic")
	}
	compat, err := ParseCompatibility(string(compat))
	if err != nil {
		return nil, err
	}
	c, err := newCodec(e, valueType)
	if err != nil {
		return nil, err
	}
	keyID, err := register(ctx, cl, topic+"-key", e.KeyText, e.Key, compat)
	if err != nil {
		return nil, err
	}
	valueID, err := register(ctx, cl, topic+"-value", e.ValueText, e.Value, compat)
	if err != nil {
		return nil, err
	}
	c.keyPrefix, c.keySchema = registryFraming(keyID)
	c.valuePrefix, c.valueSchema = registryFraming(valueID)
	return c, nil
}

func registryFraming(id int) ([]byte, string) {
	prefix, _ := new(sr.ConfluentHeader).AppendEncode(nil, id, nil) // never fails
	return prefix, "id:" + strconv.Itoa(id)
}

// ErrIncompatible marks a schema that the compatibility check refused: the
// connector must not start until the schema change is fixed.
var ErrIncompatible = errors.New("incompatible schema change")

// ErrRefused marks a request the registry answered with a client error
// that asking again cannot change: 409 (the schema is incompatible at the
// registry's own level), 422 (it is invalid for the registry), 401 and 403
// (credentials), any 4xx but 404, 408 and 429. The connector must not
// start until someone acts; 5xx answers and network errors are retried.
var ErrRefused = errors.New("refused by the schema registry")

// marked is an error, printed as it is, that errors.Is also matches with
// mark (ErrIncompatible or ErrRefused).
type marked struct {
	error
	mark error
}

func (e marked) Is(target error) bool { return target == e.mark }
func (e marked) Unwrap() error        { return e.error }

// classify marks err as refused when the registry's answer was one.
func classify(err error) error {
	var re *sr.ResponseError
	if !errors.As(err, &re) || re.StatusCode < 400 || re.StatusCode >= 500 ||
		re.StatusCode == http.StatusNotFound || re.StatusCode == http.StatusRequestTimeout || re.StatusCode == http.StatusTooManyRequests {
		return err
	}
	return marked{fmt.Errorf("refused by the registry (HTTP %d, error code %d): %w", re.StatusCode, re.ErrorCode, err), ErrRefused}
}

// CheckRegistry checks the entity's key and envelope schemas against the
// latest registered versions of <topic>-key and <topic>-value as compat
// says, without registering anything. A subject without versions passes.
// It is what NewRegistryCodec checks before registering.
func CheckRegistry(ctx context.Context, cl *sr.Client, topic string, e *Entity, compat Compatibility) error {
	compat, err := ParseCompatibility(string(compat))
	if err != nil {
		return err
	}
	return errors.Join(
		check(ctx, cl, topic+"-key", e.Key, compat),
		check(ctx, cl, topic+"-value", e.Value, compat),
	)
}

// check checks s against the latest version of subject.
func check(ctx context.Context, cl *sr.Client, subject string, s avro.Schema, compat Compatibility) error {
	if compat == CompatNone {
		return nil
	}
	latest, err := cl.SchemaByVersion(ctx, subject, -1)
	switch {
	case isNotFound(err): // first registration
		return nil
	case err != nil:
		return fmt.Errorf("schema registry: subject %q: fetch latest version: %w", subject, classify(err))
	}
	if err := checkLatest(latest, s, compat); err != nil {
		return fmt.Errorf("schema registry: subject %q: %w", subject, err)
	}
	return nil
}

// register checks text (parsed: s) against the latest version of subject and
// registers it, returning its id.
func register(ctx context.Context, cl *sr.Client, subject, text string, s avro.Schema, compat Compatibility) (int, error) {
	if err := check(ctx, cl, subject, s, compat); err != nil {
		return 0, err
	}
	id, err := cl.RegisterSchema(ctx, subject, sr.Schema{Schema: text, Type: sr.TypeAvro}, -1, -1)
	if err != nil {
		return 0, fmt.Errorf("schema registry: subject %q: register: %w", subject, classify(err))
	}
	return id, nil
}

func isNotFound(err error) bool {
	var re *sr.ResponseError
	return errors.As(err, &re) &&
		(re.ErrorCode == sr.ErrSubjectNotFound.Code || re.ErrorCode == sr.ErrVersionNotFound.Code ||
			re.ErrorCode == sr.ErrSubjectLevelCompatibilityNotConfigured.Code)
}

// Verdict is a registry's own answer on registering a schema under a
// subject.
type Verdict struct {
	// Level is the compatibility level the registry applies to the
	// subject: the subject's own, or else the global one (Global).
	Level  string
	Global bool
	// Compatible is the registry's answer against the subject's latest
	// version; true for a subject without versions (First).
	Compatible, First bool
	// Messages are the registry's reasons, when it gives them.
	Messages []string
}

// AskRegistry asks the registry which compatibility level applies to
// subject (GET /config/<subject>, else /config) and whether text may be
// registered under it (POST /compatibility/subjects/<subject>/versions/latest,
// verbose), registering nothing.
func AskRegistry(ctx context.Context, cl *sr.Client, subject, text string) (Verdict, error) {
	var v Verdict
	own := sr.WithParams(ctx, sr.RawParams(url.Values{"defaultToGlobal": {"false"}}))
	level := cl.Compatibility(own, subject)[0]
	if isNotFound(level.Err) {
		level, v.Global = cl.Compatibility(ctx)[0], true
	}
	if level.Err != nil {
		return v, fmt.Errorf("schema registry: subject %q: compatibility level: %w", subject, classify(level.Err))
	}
	v.Level = level.Level.String()
	check, err := cl.CheckCompatibility(sr.WithParams(ctx, sr.Verbose), subject, -1, sr.Schema{Schema: text, Type: sr.TypeAvro})
	switch {
	case isNotFound(err):
		v.Compatible, v.First = true, true
	case err != nil:
		return v, fmt.Errorf("schema registry: subject %q: compatibility check: %w", subject, classify(err))
	default:
		v.Compatible, v.Messages = check.Is, check.Messages
	}
	return v, nil
}

// checkLatest checks the new schema s against latest, the subject's latest
// registered version.
func checkLatest(latest sr.SubjectSchema, s avro.Schema, compat Compatibility) error {
	at := fmt.Sprintf("version %d (id %d)", latest.Version, latest.ID)
	if latest.Type != sr.TypeAvro {
		return fmt.Errorf("latest %s is a %s schema, not Avro", at, latest.Type)
	}
	if len(latest.References) > 0 {
		return fmt.Errorf("latest %s uses schema references, which this connector does not resolve", at)
	}
	old, err := avro.ParseWithCache(latest.Schema.Schema, "", &avro.SchemaCache{})
	if err != nil {
		return fmt.Errorf("parse latest %s: %w", at, err)
	}
	if err := compatible(compat, s, old); err != nil {
		return marked{fmt.Errorf("new schema is not %s compatible with %s: %w", compat, at, err), ErrIncompatible}
	}
	return nil
}
