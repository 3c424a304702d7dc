// deploy-validate checks deploy/ with real parsers, offline: every Kubernetes manifest is
// decoded strictly into the typed k8s.io/api objects (unknown or misspelt fields are errors),
// and the Dockerfile is parsed by BuildKit's own parser; then the project's rules are checked.
// Usage: deploy-validate DEPLOY_DIR. Prints one line per problem ("FILE: reason"), exits 1 on any.
package main

import (
	"bytes"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

type problems struct{ list []string }

func (p *problems) add(file, format string, args ...any) {
	p.list = append(p.list, fmt.Sprintf("%s: %s", file, fmt.Sprintf(format, args...)))
}

// objects decoded from all manifests, for cross-document rules.
type objects struct {
	configMaps  []*corev1.ConfigMap
	services    []*corev1.Service
	deployments []*appsv1.Deployment
	jobs        []*batchv1.Job
	budgets     []*policyv1.PodDisruptionBudget
	policies    []*networkingv1.NetworkPolicy
}

var docSeparator = regexp.MustCompile(`(?m)^---\s*$`)

func decodeManifests(file string, p *problems, objs *objects) {
	data, err := os.ReadFile(file)
	if err != nil {
		p.add(file, "%v", err)
		return
	}
	for i, doc := range docSeparator.Split(string(data), -1) {
		if strings.TrimSpace(stripComments(doc)) == "" {
			continue
		}
		where := fmt.Sprintf("%s (document %d)", file, i+1)
		var meta metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
			p.add(where, "invalid YAML: %v", err)
			continue
		}
		var target any
		switch meta.APIVersion + " " + meta.Kind {
		case "v1 ConfigMap":
			o := &corev1.ConfigMap{}
			objs.configMaps, target = append(objs.configMaps, o), o
		case "v1 Service":
			o := &corev1.Service{}
			objs.services, target = append(objs.services, o), o
		case "apps/v1 Deployment":
			o := &appsv1.Deployment{}
			objs.deployments, target = append(objs.deployments, o), o
		case "batch/v1 Job":
			o := &batchv1.Job{}
			objs.jobs, target = append(objs.jobs, o), o
		case "policy/v1 PodDisruptionBudget":
			o := &policyv1.PodDisruptionBudget{}
			objs.budgets, target = append(objs.budgets, o), o
		case "networking.k8s.io/v1 NetworkPolicy":
			o := &networkingv1.NetworkPolicy{}
			objs.policies, target = append(objs.policies, o), o
		default:
			p.add(where, "unexpected kind %q (apiVersion %q)", meta.Kind, meta.APIVersion)
			continue
		}
		if err := yaml.UnmarshalStrict([]byte(doc), target); err != nil {
			p.add(where, "%s: %v", meta.Kind, err)
		}
	}
}

func stripComments(doc string) string {
	var out []string
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// Pod rules: non-root, no privilege escalation, read-only root, no capabilities, pinned images.
func checkPod(where string, spec *corev1.PodSpec, p *problems) {
	sc := spec.SecurityContext
	if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		p.add(where, "pod securityContext.runAsNonRoot must be true")
	}
	if sc == nil || sc.SeccompProfile == nil {
		p.add(where, "pod securityContext.seccompProfile must be set")
	}
	mounts := map[string]bool{}
	for _, v := range spec.Volumes {
		mounts[v.Name] = true
		if v.EmptyDir != nil && v.EmptyDir.SizeLimit == nil {
			p.add(where, "emptyDir volume %q needs a sizeLimit", v.Name)
		}
	}
	for _, c := range spec.Containers {
		cw := fmt.Sprintf("%s container %s", where, c.Name)
		if !pinned(c.Image) {
			p.add(cw, "image %q must have a version tag or digest (not latest)", c.Image)
		}
		csc := c.SecurityContext
		if csc == nil || csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation {
			p.add(cw, "allowPrivilegeEscalation must be false")
		}
		if csc == nil || csc.ReadOnlyRootFilesystem == nil || !*csc.ReadOnlyRootFilesystem {
			p.add(cw, "readOnlyRootFilesystem must be true")
		}
		if csc == nil || csc.Capabilities == nil || len(csc.Capabilities.Drop) != 1 ||
			csc.Capabilities.Drop[0] != "ALL" {
			p.add(cw, "capabilities must drop ALL")
		}
		for _, probe := range []struct {
			kind  string
			probe *corev1.Probe
		}{{"liveness", c.LivenessProbe}, {"readiness", c.ReadinessProbe}, {"startup", c.StartupProbe}} {
			if probe.probe != nil && probe.probe.TimeoutSeconds == 0 {
				p.add(cw, "%s probe needs an explicit timeoutSeconds (the default, 1 s, is rarely meant)", probe.kind)
			}
		}
		if c.Resources.Limits.Memory().IsZero() {
			p.add(cw, "a memory limit is required")
		}
		for _, m := range c.VolumeMounts {
			if !mounts[m.Name] {
				p.add(cw, "mounts volume %q that the pod does not define", m.Name)
			}
		}
	}
}

var tagOrDigest = regexp.MustCompile(`^[^@]+(:[A-Za-z0-9._-]+)?(@sha256:[0-9a-f]{64})?$`)

func pinned(image string) bool {
	if strings.Contains(image, "@sha256:") {
		return true
	}
	slash := strings.LastIndex(image, "/")
	tag := ""
	if i := strings.LastIndex(image[slash+1:], ":"); i >= 0 {
		tag = image[slash+1+i+1:]
	}
	return tagOrDigest.MatchString(image) && tag != "" && tag != "latest"
}

var endpointRe = regexp.MustCompile(`(?m)^endpoint:\s*unix://(/\S+)\s*$`)

func checkCrossDocument(objs *objects, p *problems) {
	// Every attached plugin's socket folder is an emptyDir shared by at least two containers.
	for _, cm := range objs.configMaps {
		for key, text := range cm.Data {
			if !strings.HasSuffix(key, ".plugin.yaml") {
				continue
			}
			m := endpointRe.FindStringSubmatch(text)
			if m == nil {
				continue
			}
			dir, found := path.Dir(m[1]), false
			for _, d := range objs.deployments {
				if sharedEmptyDir(&d.Spec.Template.Spec, dir) {
					found = true
				}
			}
			if !found {
				p.add("ConfigMap "+cm.Name, "%s: endpoint folder %s is not an emptyDir shared by two containers of a Deployment", key, dir)
			}
		}
	}
	for _, s := range objs.services {
		matched := false
		for _, d := range objs.deployments {
			if labelsMatch(s.Spec.Selector, d.Spec.Template.Labels) {
				matched = true
			}
		}
		if !matched {
			p.add("Service "+s.Name, "selector %v matches no Deployment's pods", s.Spec.Selector)
		}
	}
	for _, d := range objs.deployments {
		checkPod("Deployment "+d.Name, &d.Spec.Template.Spec, p)
		if d.Spec.Selector == nil || !labelsMatch(d.Spec.Selector.MatchLabels, d.Spec.Template.Labels) {
			p.add("Deployment "+d.Name, "selector does not match its pod template's labels")
		}
		checkReplicated(d, objs, p)
	}
	for _, b := range objs.budgets {
		if b.Spec.MinAvailable == nil && b.Spec.MaxUnavailable == nil {
			p.add("PodDisruptionBudget "+b.Name, "needs minAvailable or maxUnavailable")
		}
		if b.Spec.Selector == nil || deploymentMatching(b.Spec.Selector.MatchLabels, objs) == nil {
			p.add("PodDisruptionBudget "+b.Name, "selector matches no Deployment's pods")
		}
	}
	for _, n := range objs.policies {
		d := deploymentMatching(n.Spec.PodSelector.MatchLabels, objs)
		if d == nil {
			p.add("NetworkPolicy "+n.Name, "podSelector matches no Deployment's pods")
			continue
		}
		checkPolicyPorts(n, d, p)
	}
	indexed := false
	for _, j := range objs.jobs {
		checkPod("Job "+j.Name, &j.Spec.Template.Spec, p)
		if j.Spec.CompletionMode != nil && *j.Spec.CompletionMode == batchv1.IndexedCompletion {
			indexed = true
			if j.Spec.Completions == nil || *j.Spec.Completions < 1 {
				p.add("Job "+j.Name, "an Indexed Job needs completions")
			}
		}
	}
	if !indexed {
		p.add("k8s", "no Indexed Job (completionMode: Indexed) found")
	}
}

// A Deployment of more than one replica has a PodDisruptionBudget, a NetworkPolicy and replicas
// spread over nodes.
func checkReplicated(d *appsv1.Deployment, objs *objects, p *problems) {
	if d.Spec.Replicas == nil || *d.Spec.Replicas < 2 {
		return
	}
	where := "Deployment " + d.Name
	labels := d.Spec.Template.Labels
	spread := false
	for _, c := range d.Spec.Template.Spec.TopologySpreadConstraints {
		if c.TopologyKey == "kubernetes.io/hostname" && c.LabelSelector != nil &&
			labelsMatch(c.LabelSelector.MatchLabels, labels) {
			spread = true
		}
	}
	if !spread {
		p.add(where, "replicas need a topologySpreadConstraint over kubernetes.io/hostname selecting its pods")
	}
	budget, policy := false, false
	for _, b := range objs.budgets {
		budget = budget || (b.Spec.Selector != nil && labelsMatch(b.Spec.Selector.MatchLabels, labels))
	}
	for _, n := range objs.policies {
		policy = policy || labelsMatch(n.Spec.PodSelector.MatchLabels, labels)
	}
	if !budget {
		p.add(where, "no PodDisruptionBudget selects its pods")
	}
	if !policy {
		p.add(where, "no NetworkPolicy selects its pods")
	}
}

func deploymentMatching(selector map[string]string, objs *objects) *appsv1.Deployment {
	for _, d := range objs.deployments {
		if labelsMatch(selector, d.Spec.Template.Labels) {
			return d
		}
	}
	return nil
}

// Every port a NetworkPolicy admits by name is a container port of the pods it selects.
func checkPolicyPorts(n *networkingv1.NetworkPolicy, d *appsv1.Deployment, p *problems) {
	named := map[string]bool{}
	for _, c := range d.Spec.Template.Spec.Containers {
		for _, port := range c.Ports {
			named[port.Name] = true
		}
	}
	for _, rule := range n.Spec.Ingress {
		for _, port := range rule.Ports {
			if port.Port != nil && port.Port.StrVal != "" && !named[port.Port.StrVal] {
				p.add("NetworkPolicy "+n.Name, "admits port %q, which no container of Deployment %s names", port.Port.StrVal, d.Name)
			}
		}
	}
}

func sharedEmptyDir(spec *corev1.PodSpec, dir string) bool {
	for _, v := range spec.Volumes {
		if v.EmptyDir == nil {
			continue
		}
		users := 0
		for _, c := range spec.Containers {
			for _, m := range c.VolumeMounts {
				if m.Name == v.Name && path.Clean(m.MountPath) == dir {
					users++
				}
			}
		}
		if users >= 2 {
			return true
		}
	}
	return false
}

func labelsMatch(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

var debian12 = regexp.MustCompile(`^(docker\.io/)?(library/)?debian:(12\.[0-9]+|bookworm-[0-9]{8})(-slim)?(@sha256:[0-9a-f]{64})?$`)

// Dockerfile rules: multi-stage, every base a pinned Debian 12 (or an earlier stage), the final
// stage copies from a build stage, runs as a non-root USER and installs no build tools.
func checkDockerfile(file string, p *problems) {
	data, err := os.ReadFile(file)
	if err != nil {
		p.add(file, "%v", err)
		return
	}
	result, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		p.add(file, "%v", err)
		return
	}
	type stage struct {
		user       string
		copiesFrom bool
		runs       []string
	}
	var stages []*stage
	names := map[string]bool{}
	for _, n := range result.AST.Children {
		cmd := strings.ToLower(n.Value)
		var args []string
		for a := n.Next; a != nil; a = a.Next {
			args = append(args, a.Value)
		}
		if cmd == "from" {
			if len(args) == 0 {
				p.add(file, "line %d: FROM without an image", n.StartLine)
				continue
			}
			if !names[args[0]] && !debian12.MatchString(args[0]) {
				p.add(file, "line %d: base %q must be a pinned Debian 12 image (debian:12.N[-slim] or a digest)", n.StartLine, args[0])
			}
			if len(args) == 3 && strings.EqualFold(args[1], "as") {
				names[args[2]] = true
			}
			stages = append(stages, &stage{})
			continue
		}
		if len(stages) == 0 {
			if cmd != "arg" {
				p.add(file, "line %d: %s before the first FROM", n.StartLine, strings.ToUpper(cmd))
			}
			continue
		}
		s := stages[len(stages)-1]
		switch cmd {
		case "user":
			if len(args) > 0 {
				s.user = args[0]
			}
		case "copy":
			for _, f := range n.Flags {
				if strings.HasPrefix(f, "--from=") {
					s.copiesFrom = true
				}
			}
		case "run":
			s.runs = append(s.runs, strings.Join(args, " "))
		}
	}
	if len(stages) < 2 {
		p.add(file, "must be multi-stage (found %d stage)", len(stages))
		return
	}
	final := stages[len(stages)-1]
	user := strings.SplitN(final.user, ":", 2)[0]
	if user == "" || user == "root" || user == "0" {
		p.add(file, "the final stage must switch to a non-root USER (found %q)", final.user)
	}
	if !final.copiesFrom {
		p.add(file, "the final stage must COPY --from the build stage")
	}
	buildTools := regexp.MustCompile(`\b(build-essential|cmake|ninja-build|g\+\+|gcc|clang|[a-z0-9.+]+-dev)\b`)
	for _, run := range final.runs {
		if m := buildTools.FindString(run); m != "" {
			p.add(file, "the final stage installs build tooling (%s): only runtime libraries belong there", m)
		}
	}
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: deploy-validate DEPLOY_DIR")
		os.Exit(2)
	}
	dir := os.Args[1]
	p := &problems{}
	objs := &objects{}
	manifests, _ := filepath.Glob(filepath.Join(dir, "k8s", "*.yaml"))
	if len(manifests) == 0 {
		p.add(filepath.Join(dir, "k8s"), "no manifests")
	}
	for _, f := range manifests {
		decodeManifests(f, p, objs)
	}
	checkCrossDocument(objs, p)
	checkDockerfile(filepath.Join(dir, "Dockerfile"), p)
	for _, line := range p.list {
		fmt.Println(line)
	}
	if len(p.list) > 0 {
		os.Exit(1)
	}
	fmt.Printf("deploy-validate: %d Kubernetes manifest file(s) (%d ConfigMap, %d Service, %d Deployment, %d Job, %d PodDisruptionBudget, %d NetworkPolicy) and the Dockerfile are valid\n",
		len(manifests), len(objs.configMaps), len(objs.services), len(objs.deployments), len(objs.jobs), len(objs.budgets), len(objs.policies))
}
