// Command pkgcheck inspects a built Splunk app package (.tgz) the way an
// installer and AppInspect would: its layout and file modes, every .conf
// file against the settings its spec allows, the saved searches' risk,
// annotation, drilldown and throttling values, the macros and commands
// searches refer to, the dashboard's filters, the package README's links
// and Binary File Declaration, and the binaries of every platform folder.
// ./build.sh test runs it on the package it built:
//
//	go run ./tools/pkgcheck [-targets tools/targets.txt] [-app app] dist/kubeprivpod-<version>.tgz
//
// It prints one line per problem and exits 1 if there is any, 2 if the
// package or the targets file cannot be read. The checks are modelled on
// AppInspect's; they are not AppInspect itself.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/kubeprivpod/kubeprivpod/tools/internal/release"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("pkgcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	targets := fs.String("targets", "tools/targets.txt", "the programs and platforms file build.sh reads")
	app := fs.String("app", "app", "the content folder the conf files are rendered from (empty: skip that check)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: pkgcheck [-targets FILE] [-app DIR] PACKAGE.tgz")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	t, err := release.LoadTargets(*targets)
	if err != nil {
		fmt.Fprintln(stderr, "pkgcheck:", err)
		return 2
	}
	p, err := Open(fs.Arg(0))
	if err != nil {
		fmt.Fprintln(stderr, "pkgcheck:", err)
		return 2
	}
	var appFS = os.DirFS(*app)
	if *app == "" {
		appFS = nil
	}
	failed := 0
	for _, c := range Checks(t, appFS) {
		errs := c.Run(p)
		for _, err := range errs {
			fmt.Fprintf(stdout, "FAIL %s: %v\n", c.Name, err)
		}
		if len(errs) == 0 {
			fmt.Fprintf(stdout, "ok   %s\n", c.Name)
		}
		failed += len(errs)
	}
	if failed > 0 {
		fmt.Fprintf(stderr, "pkgcheck: %s: %d problems\n", p.Path, failed)
		return 1
	}
	return 0
}
