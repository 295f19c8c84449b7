package logging

import (
	"fmt"
	"os"
	"sync"
)

// File is a log file that can be reopened at the same path, so that after
// logrotate moves it away a SIGHUP makes the daemon write to a new one.
// Safe from any goroutine.
type File struct {
	path string
	mu   sync.Mutex
	f    *os.File
}

// OpenFile opens path for appending, creating it if needed.
func OpenFile(path string) (*File, error) {
	lf := &File{path: path}
	if err := lf.Reopen(); err != nil {
		return nil, err
	}
	return lf, nil
}

// Write implements io.Writer.
func (lf *File) Write(p []byte) (int, error) {
	lf.mu.Lock()
	defer lf.mu.Unlock()
	return lf.f.Write(p)
}

// Reopen closes the file and opens its path again.
func (lf *File) Reopen() error {
	f, err := os.OpenFile(lf.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("logging: open %s: %w", lf.path, err)
	}
	lf.mu.Lock()
	old := lf.f
	lf.f = f
	lf.mu.Unlock()
	if old != nil {
		return old.Close()
	}
	return nil
}

// Close closes the file.
func (lf *File) Close() error {
	lf.mu.Lock()
	defer lf.mu.Unlock()
	return lf.f.Close()
}
