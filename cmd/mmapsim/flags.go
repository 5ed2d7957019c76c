package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/mmapsim/mmapsim/scenario"
)

// command is the flag set of a command that runs files on a machine the
// scenario settings describe (run, show, replay): every setting is a
// flag (--host-page 64K for "#! host-page=64K", the flags winning over a
// file's), with --check and -q, whose help each command words for itself.
type command struct {
	flags    *flag.FlagSet
	stderr   io.Writer
	check    *bool
	quiet    *bool
	settings map[string]*string // by setting key
}

// newCommand makes the flag set of "mmapsim name"; usage writes its help
// before the flag list.
func newCommand(name string, stderr io.Writer, usage, checkHelp, quietHelp string) *command {
	c := &command{flags: flag.NewFlagSet("mmapsim "+name, flag.ContinueOnError), stderr: stderr, settings: map[string]*string{}}
	c.flags.SetOutput(stderr)
	c.check = c.flags.Bool("check", false, checkHelp)
	c.quiet = c.flags.Bool("q", false, quietHelp)
	for _, k := range scenario.SettingKeys {
		c.settings[k.Key] = c.flags.String(k.Key, "", k.Help+" ("+k.Value+")")
	}
	c.flags.Usage = func() {
		fmt.Fprint(stderr, usage)
		c.flags.PrintDefaults()
	}
	return c
}

// parse parses the command line, which must name at least one file, and
// returns the settings its flags give. A false ok means a usage error,
// already reported: exit status 2.
func (c *command) parse(args []string) (settings *scenario.Settings, ok bool) {
	if err := c.flags.Parse(args); err != nil {
		return nil, false
	}
	if c.flags.NArg() == 0 {
		c.flags.Usage()
		return nil, false
	}
	settings = scenario.NewSettings()
	var err error
	c.flags.Visit(func(f *flag.Flag) {
		if value, ok := c.settings[f.Name]; ok && err == nil {
			err = settings.Set(f.Name, *value, "flag --"+f.Name)
		}
	})
	if err != nil {
		fmt.Fprintln(c.stderr, "mmapsim:", err)
		return nil, false
	}
	return settings, true
}
