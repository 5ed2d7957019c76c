package props

import (
	"math/rand"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/commands"
	"github.com/mmapsim/mmapsim/policy"
)

// rngSource adapts gopter's seeded generator to Source.
type rngSource struct{ rng *rand.Rand }

func (s rngSource) Uint64() uint64 { return s.rng.Uint64() }

// genState is what generation knows: how many mappings may exist. gopter's
// NextState cannot see results (its issue 39), so operations name earlier
// mappings by handle number, resolved when they run.
type genState struct{ handles int }

// opCommand is one operation as a gopter command. The comparison happens
// inside Run, which holds both systems; PostCondition reports it.
type opCommand struct{ op Op }

func (c *opCommand) Run(sut commands.SystemUnderTest) commands.Result {
	return sut.(*System).Exec(c.op)
}

func (c *opCommand) NextState(st commands.State) commands.State {
	g := st.(genState)
	if c.op.Kind == OpMmap || c.op.Kind == OpMremap {
		g.handles++
	}
	return g
}

func (c *opCommand) PreCondition(commands.State) bool { return true }

func (c *opCommand) PostCondition(_ commands.State, res commands.Result) *gopter.PropResult {
	if res.(bool) {
		return &gopter.PropResult{Status: gopter.PropTrue}
	}
	return &gopter.PropResult{Status: gopter.PropFalse}
}

func (c *opCommand) String() string { return c.op.String() }

// Commands are the gopter state-machine description of one setup and
// policy. Failed runs are kept: Shortest returns the smallest.
type Commands struct {
	commands.ProtoCommands
	Setup    Setup
	Policy   policy.Policy
	Opts     Options // how each run is built
	shortest *System // the failed run with the fewest operations so far, or nil
	runs     int     // the systems made so far
}

// NewCommands builds the gopter description.
func NewCommands(setup Setup, pol policy.Policy) *Commands {
	c := &Commands{Setup: setup, Policy: pol}
	narrow := CatalogueFor(pol) != nil
	c.ProtoCommands = commands.ProtoCommands{
		NewSystemUnderTestFunc: func(commands.State) commands.SystemUnderTest {
			s, err := NewSystemWith(setup, pol, c.Opts)
			if err != nil {
				panic("props: " + err.Error()) // a bad setup is a bug in this package
			}
			c.runs++
			return s
		},
		DestroySystemUnderTestFunc: func(sut commands.SystemUnderTest) {
			s := sut.(*System)
			s.Finish() // a difference found here fails the test: see runPropsWith
			if s.failure != "" && (c.shortest == nil || len(s.run) < len(c.shortest.run)) {
				c.shortest = s
			}
		},
		InitialStateGen: gopter.Gen(func(*gopter.GenParameters) *gopter.GenResult {
			return gopter.NewGenResult(genState{}, gopter.NoShrinker)
		}),
		GenCommandFunc: func(st commands.State) gopter.Gen {
			n := st.(genState).handles
			return func(p *gopter.GenParameters) *gopter.GenResult {
				var op Op
				if narrow {
					// Another algorithm's catalogue: its searches
					// were tuned without the edges (withEdges).
					op = catalogueSpace(genOp(rngSource{p.Rng}, n))
				} else {
					op = GenOp(rngSource{p.Rng}, n)
				}
				return gopter.NewGenResult(&opCommand{op}, gopter.NoShrinker)
			}
		},
	}
	return c
}

// Shortest is the smallest failing run seen, or nil.
func (c *Commands) Shortest() *System { return c.shortest }

// Runs is how many runs (systems) were made, shrinking included.
func (c *Commands) Runs() int { return c.runs }
