// Package pgtest runs a real PostgreSQL server for tests: one per test
// binary, started on first use on a free loopback port in a temporary
// directory, with a fresh database per test. It needs Debian's postgresql
// package (installed by `make deps`); it is imported by tests only.
//
// PostgreSQL refuses to run as root, so when the tests run as root the
// server runs as the "postgres" user. The server is a child of the test
// binary that dies with it (Linux parent-death signal), so a test binary
// killed by a timeout leaves no server behind.
package pgtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// User is the superuser the server is initialized with (trust
// authentication on loopback).
const User = "test"

// startBound bounds initdb and the server's start.
const startBound = 60 * time.Second

// Server is a running PostgreSQL server.
type Server struct {
	dir  string
	port int
	cmd  *exec.Cmd
	done chan struct{}
	seq  atomic.Uint64
}

var (
	mu     sync.Mutex
	shared *Server
	errStr error
)

// Shared returns the test binary's server, starting it on first use.
func Shared(t testing.TB) *Server {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if shared == nil && errStr == nil {
		shared, errStr = Start()
	}
	if errStr != nil {
		t.Fatalf("PostgreSQL for tests: %v (run `make deps` to install Debian's postgresql)", errStr)
	}
	return shared
}

// WrapM makes a TestMain stop the shared server after the tests:
// goleak.VerifyTestMain(pgtest.WrapM(m)).
func WrapM(m interface{ Run() int }) interface{ Run() int } { return wrapped{m} }

type wrapped struct{ m interface{ Run() int } }

func (w wrapped) Run() int {
	code := w.m.Run()
	mu.Lock()
	s := shared
	shared = nil
	mu.Unlock()
	if s != nil {
		s.Stop()
	}
	return code
}

// binDir finds the PostgreSQL programs (Debian keeps them per major version).
func binDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i], nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("initdb not found under /usr/lib/postgresql/*/bin or on PATH")
}

// Start initializes a cluster in a new temporary directory and starts a
// server on a free loopback port.
func Start() (*Server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	// A short path: the Unix socket lives here too (108-byte limit).
	dir, err := os.MkdirTemp("", "pg")
	if err != nil {
		return nil, err
	}
	cred, err := credential(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), startBound)
	defer cancel()
	data := filepath.Join(dir, "data")
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", data, "-A", "trust", "-U", User,
		"-E", "UTF8", "--no-sync", "--no-instructions")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %w: %s", err, out)
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := &Server{dir: dir, port: port, done: make(chan struct{})}
	s.cmd = exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(port), "-k", dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200", "-c", "log_min_messages=warning")
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("postgres: %w", err)
	}
	ready := make(chan struct{})
	var logTail []string
	var logMu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stderr)
		once := false
		for sc.Scan() {
			line := sc.Text()
			logMu.Lock()
			logTail = append(logTail, line)
			if len(logTail) > 20 {
				logTail = logTail[1:]
			}
			logMu.Unlock()
			if !once && strings.Contains(line, "ready to accept connections") {
				once = true
				close(ready)
			}
		}
	}()
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	select {
	case <-ready:
		return s, nil
	case <-s.done:
	case <-ctx.Done():
		s.Stop()
	}
	logMu.Lock()
	defer logMu.Unlock()
	os.RemoveAll(dir)
	return nil, fmt.Errorf("postgres did not start: %s", strings.Join(logTail, "\n"))
}

// credential returns who runs the server: the postgres user when the tests
// run as root (dir is handed to it), else nobody different.
func credential(dir string) (*syscall.Credential, error) {
	if os.Getuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs the postgres user: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// DSN is the URL of database db on the server.
func (s *Server) DSN(db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", User, s.port, db)
}

// NewDatabase returns the DSN of an empty namespace for one test: a schema
// of its own in the database "postgres", first on the search path of every
// connection made with the DSN, dropped when the test ends. A schema costs
// a millisecond where a database costs half a second. (Advisory locks and
// NOTIFY channels are shared by the whole database.)
func (s *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("t%d_%d", os.Getpid(), s.seq.Add(1))
	if err := s.exec(fmt.Sprintf("CREATE SCHEMA %s", name)); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if err := s.exec(fmt.Sprintf("DROP SCHEMA IF EXISTS %s CASCADE", name)); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	return s.DSN("postgres") + "&search_path=" + name
}

// Exec runs statements on database db of the server (tests that need to
// look at or damage what the code under test wrote).
func (s *Server) exec(sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.DSN("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

// Stop shuts the server down (fast shutdown: sessions are ended) and
// removes its directory.
func (s *Server) Stop() {
	select {
	case <-s.done:
	default:
		_ = s.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	}
	os.RemoveAll(s.dir)
}
