package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"
)

// devRegistry is the schema registry of `connector dev`: franz-go's
// srfake, a Confluent-compatible registry held in memory, served on
// 127.0.0.1. Every schema it gives an id is appended to a journal in the
// dev directory before the client hears the id, and the journal is
// registered again, in order, at the next start: the ids in the records
// already in the topics keep resolving.
type devRegistry struct {
	reg     *srfake.Registry
	srv     *http.Server
	url     string
	journal string

	mu    sync.Mutex
	known map[string]bool // subject "\x00" id, journaled
}

// registration is one line of the journal.
type registration struct {
	Subject string    `json:"subject"`
	ID      int       `json:"id"`
	Schema  sr.Schema `json:"schema"`
}

// startDevRegistry replays journal, when it exists, into a new registry
// and serves it on 127.0.0.1:port (0 picks a free port).
func startDevRegistry(journal string, port int) (*devRegistry, error) {
	d := &devRegistry{reg: srfake.NewRegistry(), journal: journal, known: map[string]bool{}}
	if err := d.replay(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("starting the embedded schema registry: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /subjects/{subject}/versions", d.register)
	mux.Handle("/", d.reg.Handler())
	d.url = "http://" + ln.Addr().String()
	d.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = d.srv.Serve(ln) }() // ErrServerClosed, after Close
	return d, nil
}

// Close stops serving.
func (d *devRegistry) Close() { d.srv.Close() }

// replay registers the journal's schemas again, each of which must get
// the id it had.
func (d *devRegistry) replay() error {
	f, err := os.Open(d.journal)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 4<<20)
	for line := 1; sc.Scan(); line++ {
		var r registration
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return fmt.Errorf("%s:%d: %w (delete the dev directory to start afresh)", d.journal, line, err)
		}
		id, _, err := d.reg.RegisterSchema(r.Subject, r.Schema)
		if err == nil && id != r.ID {
			err = fmt.Errorf("registered again as id %d, not %d", id, r.ID)
		}
		if err != nil {
			return fmt.Errorf("%s:%d: subject %s: %w (delete the dev directory to start afresh)", d.journal, line, r.Subject, err)
		}
		d.known[r.Subject+"\x00"+strconv.Itoa(id)] = true
	}
	return sc.Err()
}

// register journals the schema of a POST /subjects/{subject}/versions
// and then lets the registry answer it. Registering is idempotent: the
// registry answers with the id journaled here.
func (d *devRegistry) register(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	var s sr.Schema
	subject := r.PathValue("subject")
	if json.Unmarshal(body, &s) == nil {
		if err := d.registerAndRecord(subject, s); err != nil {
			http.Error(w, "journaling the schema: "+err.Error(), http.StatusInternalServerError)
			return
		}
	}
	d.reg.Handler().ServeHTTP(w, r)
}

// registerAndRecord registers s under subject and appends the id it got
// to the journal, once, and syncs it, one registration at a time: the
// journal must list the ids in the order the registry gave them, for a
// replay to give them again. A schema the registry refuses is not
// journaled; its answer tells the client why.
func (d *devRegistry) registerAndRecord(subject string, s sr.Schema) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	id, _, err := d.reg.RegisterSchema(subject, s)
	key := subject + "\x00" + strconv.Itoa(id)
	if err != nil || d.known[key] {
		return nil
	}
	line, err := json.Marshal(registration{Subject: subject, ID: id, Schema: s})
	if err != nil {
		return err
	}
	f, err := os.OpenFile(d.journal, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(append(line, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		d.known[key] = true
	}
	return err
}
