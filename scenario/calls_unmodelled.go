package scenario

// The memory calls strace's %memory class traces that mmapsim has no model
// of: a scenario skips them ("mmapsim does not simulate mlock"), a replay
// reports each as a divergence of kind not-simulated. Their parameters are
// not described.
var unmodelledCalls = unmodelled("mlock", "mlock2", "munlock", "mlockall", "munlockall",
	"mincore", "pkey_mprotect", "pkey_alloc", "pkey_free", "remap_file_pages", "mbind",
	"get_mempolicy", "set_mempolicy", "set_mempolicy_home_node", "migrate_pages",
	"move_pages", "shmat", "shmdt", "process_madvise", "process_mrelease",
	"map_shadow_stack", "mseal", "memfd_secret")

func unmodelled(names ...string) []*CallSpec {
	out := make([]*CallSpec, len(names))
	for i, n := range names {
		out[i] = &CallSpec{Name: n, Class: UnmodelledCall}
	}
	return out
}
