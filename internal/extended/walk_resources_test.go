package extended

import "testing"

// TestResourceNamed checks that resourceNamed's switch answers as the
// resources map does, for its names and for others.
func TestResourceNamed(t *testing.T) {
	for name, w := range resources {
		if got := resourceNamed(name); got != w {
			t.Errorf("resourceNamed(%q) = %p, resources has %p", name, got, w)
		}
		if got := resourceNamed(name + "x"); got != nil {
			t.Errorf("resourceNamed(%q) = %p, want nil", name+"x", got)
		}
	}
	for _, name := range []string{"", "pod", "configmaps", "leases", "Pods"} {
		if got := resourceNamed(name); got != nil {
			t.Errorf("resourceNamed(%q) = %p, want nil", name, got)
		}
	}
}
