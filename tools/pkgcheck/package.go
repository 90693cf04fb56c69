package main

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"time"
)

// File is one entry of the package.
type File struct {
	Name    string // path inside the package, e.g. "kubeprivpod/default/app.conf"
	Dir     bool
	Mode    fs.FileMode // permission bits
	UID     int
	GID     int
	ModTime time.Time
	Data    []byte
}

// Package is an app package read into memory.
type Package struct {
	Path  string
	Files []*File // in archive order
}

// maxFile bounds one file read from the archive, so a broken package cannot
// exhaust memory; the largest real entry is a binary of a few MiB.
const maxFile = 256 << 20

// Open reads a gzip-compressed tar package.
func Open(name string) (*Package, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p.Path = name
	return p, nil
}

// Read reads a gzip-compressed tar package from r.
func Read(r io.Reader) (*Package, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("not gzip: %w", err)
	}
	tr := tar.NewReader(zr)
	p := &Package{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("tar entry %d: %w", len(p.Files)+1, err)
		}
		f := &File{
			Name:    strings.TrimSuffix(h.Name, "/"),
			Dir:     h.Typeflag == tar.TypeDir,
			Mode:    fs.FileMode(h.Mode).Perm(),
			UID:     h.Uid,
			GID:     h.Gid,
			ModTime: h.ModTime,
		}
		switch h.Typeflag {
		case tar.TypeDir:
		case tar.TypeReg:
			if h.Size > maxFile {
				return nil, fmt.Errorf("%s: %d bytes, more than %d", h.Name, h.Size, maxFile)
			}
			if f.Data, err = io.ReadAll(tr); err != nil {
				return nil, fmt.Errorf("%s: %w", h.Name, err)
			}
		default:
			return nil, fmt.Errorf("%s: entry type %q; a package holds only files and folders", h.Name, h.Typeflag)
		}
		p.Files = append(p.Files, f)
	}
	if len(p.Files) == 0 {
		return nil, errors.New("empty archive")
	}
	return p, nil
}

// Top returns the package's single top folder, or "" if it has several.
func (p *Package) Top() string {
	top := ""
	for _, f := range p.Files {
		first, _, _ := strings.Cut(f.Name, "/")
		if top == "" {
			top = first
		} else if first != top {
			return ""
		}
	}
	return top
}

// File returns the entry at the path relative to the top folder, or nil.
func (p *Package) File(rel string) *File {
	want := p.Top() + "/" + rel
	for _, f := range p.Files {
		if f.Name == want && !f.Dir {
			return f
		}
	}
	return nil
}

// Rel returns f's path relative to the top folder.
func (p *Package) Rel(f *File) string {
	_, rel, _ := strings.Cut(f.Name, "/")
	return rel
}

// Glob returns the files whose relative path matches pattern (path.Match).
func (p *Package) Glob(pattern string) []*File {
	var out []*File
	for _, f := range p.Files {
		if ok, _ := path.Match(pattern, p.Rel(f)); ok && !f.Dir {
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(a, b *File) int { return strings.Compare(a.Name, b.Name) })
	return out
}
