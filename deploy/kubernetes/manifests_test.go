// Package kubernetes checks Signet's Kubernetes manifests offline, in place
// of kubeconform (whose schemas cannot be downloaded where CI runs): the
// kustomization is built as `kubectl apply -k` builds it (kustomize's own
// library), each object it yields is decoded strictly into the k8s.io/api
// type of its kind (an unknown or misspelt field, or a value of the wrong
// type, fails), and what the API server would refuse or what would break
// at run time is checked: required fields, names, selectors, and every
// reference between the objects (the ConfigMap and Secret keys the
// Deployment uses, the ports the probes and the Service name, the
// environment variables the configuration names).
//
// It is a module of its own so that Signet's module does not depend on
// k8s.io; .ci/run runs it.
package kubernetes

import (
	"errors"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/json"
	"sigs.k8s.io/kustomize/api/krusty"
	kustomize "sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// manifests is what `kubectl apply -k .` would send, decoded.
type manifests struct {
	deployment *appsv1.Deployment
	service    *corev1.Service
	pdb        *policyv1.PodDisruptionBudget
	configMaps map[string]*corev1.ConfigMap
	secrets    map[string]*corev1.Secret
}

// build runs kustomize on this directory and decodes each object strictly.
func build(t *testing.T) manifests {
	t.Helper()
	raw, err := os.ReadFile("kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var k kustomize.Kustomization
	if err := decodeStrict(raw, &k); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	resources, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), ".")
	if err != nil {
		t.Fatalf("kustomize build: %v", err)
	}
	m := manifests{configMaps: map[string]*corev1.ConfigMap{}, secrets: map[string]*corev1.Secret{}}
	for _, r := range resources.Resources() {
		doc, err := r.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		var obj any
		var meta *metav1.ObjectMeta
		var tm *metav1.TypeMeta
		switch gvk := r.GetGvk(); gvk.ApiVersion() + " " + gvk.Kind {
		case "apps/v1 Deployment":
			if m.deployment != nil {
				t.Errorf("a second Deployment, %s", r.GetName())
			}
			m.deployment = &appsv1.Deployment{}
			obj, meta, tm = m.deployment, &m.deployment.ObjectMeta, &m.deployment.TypeMeta
		case "v1 Service":
			m.service = &corev1.Service{}
			obj, meta, tm = m.service, &m.service.ObjectMeta, &m.service.TypeMeta
		case "policy/v1 PodDisruptionBudget":
			m.pdb = &policyv1.PodDisruptionBudget{}
			obj, meta, tm = m.pdb, &m.pdb.ObjectMeta, &m.pdb.TypeMeta
		case "v1 ConfigMap":
			cm := &corev1.ConfigMap{}
			m.configMaps[r.GetName()] = cm
			obj, meta, tm = cm, &cm.ObjectMeta, &cm.TypeMeta
		case "v1 Secret":
			s := &corev1.Secret{}
			m.secrets[r.GetName()] = s
			obj, meta, tm = s, &s.ObjectMeta, &s.TypeMeta
		default:
			t.Errorf("%s %s: not a kind this test knows; add it", gvk, r.GetName())
			continue
		}
		if err := decodeStrict(doc, obj); err != nil {
			t.Errorf("%s %s does not decode strictly: %v\n%s", tm.Kind, r.GetName(), err, doc)
			continue
		}
		for _, msg := range validation.IsDNS1123Subdomain(meta.Name) {
			t.Errorf("%s name %q: %s", tm.Kind, meta.Name, msg)
		}
		if meta.Namespace != "" {
			t.Errorf("%s %s has namespace %q: leave it to kubectl -n or the kustomization", tm.Kind, meta.Name, meta.Namespace)
		}
		if meta.Labels["app.kubernetes.io/name"] != "signet" {
			t.Errorf("%s %s lacks the label app.kubernetes.io/name=signet", tm.Kind, meta.Name)
		}
	}
	if m.deployment == nil || m.service == nil || m.pdb == nil || len(m.configMaps) == 0 || len(m.secrets) == 0 {
		t.Fatalf("kustomize build yields %d objects; want a Deployment, a Service, a PodDisruptionBudget, a ConfigMap and a Secret", resources.Size())
	}
	return m
}

// decodeStrict decodes YAML into obj as the API server's strict field
// validation (kubectl's default) does: field names match case-sensitively,
// and an unknown or repeated field is an error. (sigs.k8s.io/yaml's
// UnmarshalStrict alone would match readOnlyRootFileSystem to
// readOnlyRootFilesystem, as encoding/json does, where the server refuses
// it.)
func decodeStrict(doc []byte, obj any) error {
	j, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return err
	}
	strict, err := json.UnmarshalStrict(j, obj)
	return errors.Join(append(strict, err)...)
}

func TestManifests(t *testing.T) {
	t.Parallel()
	m := build(t)
	d := m.deployment
	pod := d.Spec.Template
	podLabels := labels.Set(pod.Labels)

	t.Run("Deployment", func(t *testing.T) {
		if d.Spec.Replicas == nil || *d.Spec.Replicas < 2 {
			t.Errorf("replicas %v: want at least 2, so that the PodDisruptionBudget lets a node drain", d.Spec.Replicas)
		}
		sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		if err != nil || sel.Empty() || !sel.Matches(podLabels) {
			t.Errorf("the selector %v (%v) does not select the pod template's labels %v: the API server refuses it", d.Spec.Selector, err, pod.Labels)
		}
		if len(pod.Spec.Containers) != 1 {
			t.Fatalf("%d containers; want signet alone", len(pod.Spec.Containers))
		}
		c := pod.Spec.Containers[0]
		if want := "registry.example.com/signet:latest"; c.Image != want {
			t.Errorf("image %q after kustomize's images; want %q", c.Image, want)
		}
		if !slices.Equal(c.Args, []string{"serve"}) || len(c.Command) != 0 {
			t.Errorf("command %q args %q: want the image's entrypoint with args [serve]", c.Command, c.Args)
		}
	})

	t.Run("security", func(t *testing.T) {
		psc, c := pod.Spec.SecurityContext, pod.Spec.Containers[0]
		sc := c.SecurityContext
		switch {
		case psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot:
			t.Error("the pod does not set runAsNonRoot: true")
		case psc.RunAsUser == nil || *psc.RunAsUser == 0:
			t.Error("the pod does not run as a numeric non-root user (the image's 65532)")
		case psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault:
			t.Error("the pod has no RuntimeDefault seccomp profile (the restricted Pod Security Standard asks for one)")
		}
		switch {
		case sc == nil:
			t.Fatal("the container has no securityContext")
		case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
			t.Error("the container's root filesystem is not read-only")
		case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
			t.Error("allowPrivilegeEscalation is not false")
		case sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) != 0:
			t.Error("capabilities: want drop [ALL] and nothing added")
		}
		if pod.Spec.AutomountServiceAccountToken == nil || *pod.Spec.AutomountServiceAccountToken {
			t.Error("the pod mounts a service account token it never uses")
		}
	})

	t.Run("probes and ports", func(t *testing.T) {
		c := pod.Spec.Containers[0]
		ports := map[string]int32{}
		for _, p := range c.Ports {
			for _, msg := range validation.IsValidPortName(p.Name) {
				t.Errorf("port name %q: %s", p.Name, msg)
			}
			ports[p.Name] = p.ContainerPort
		}
		resolve := func(what string, p intstr.IntOrString) int32 {
			if p.Type == intstr.Int {
				return p.IntVal
			}
			n, ok := ports[p.StrVal]
			if !ok {
				t.Errorf("%s names port %q, which the container does not have (%v)", what, p.StrVal, ports)
			}
			return n
		}
		probe := func(name string, p *corev1.Probe, path string) {
			t.Helper()
			if p == nil || p.HTTPGet == nil {
				t.Errorf("no %s probe over HTTP", name)
				return
			}
			if p.HTTPGet.Path != path {
				t.Errorf("%s probe on %s; want %s", name, p.HTTPGet.Path, path)
			}
			if resolve(name+" probe", p.HTTPGet.Port) != 8080 {
				t.Errorf("%s probe on port %v; want the server's 8080", name, p.HTTPGet.Port)
			}
		}
		probe("readiness", c.ReadinessProbe, "/readyz")
		probe("liveness", c.LivenessProbe, "/healthz")
		probe("startup", c.StartupProbe, "/healthz")

		svcSel := labels.SelectorFromSet(m.service.Spec.Selector)
		if svcSel.Empty() || !svcSel.Matches(podLabels) {
			t.Errorf("the Service's selector %v does not select the pods %v", m.service.Spec.Selector, pod.Labels)
		}
		for _, p := range m.service.Spec.Ports {
			resolve("the Service's port "+p.Name, p.TargetPort)
		}
	})

	t.Run("PodDisruptionBudget", func(t *testing.T) {
		sel, err := metav1.LabelSelectorAsSelector(m.pdb.Spec.Selector)
		if err != nil || sel.Empty() || !sel.Matches(podLabels) {
			t.Errorf("its selector %v (%v) does not select the pods %v", m.pdb.Spec.Selector, err, pod.Labels)
		}
		least := m.pdb.Spec.MinAvailable
		if least == nil || least.Type != intstr.Int || m.pdb.Spec.MaxUnavailable != nil {
			t.Fatalf("minAvailable %v, maxUnavailable %v: want minAvailable as a number", least, m.pdb.Spec.MaxUnavailable)
		}
		if least.IntVal < 1 || d.Spec.Replicas == nil || least.IntVal >= *d.Spec.Replicas {
			t.Errorf("minAvailable %d with %v replicas: want at least 1 and fewer than the replicas, or no node could ever be drained", least.IntVal, d.Spec.Replicas)
		}
	})

	t.Run("references", func(t *testing.T) {
		c := pod.Spec.Containers[0]
		volumes := map[string]corev1.Volume{}
		for _, v := range pod.Spec.Volumes {
			volumes[v.Name] = v
			if v.ConfigMap != nil {
				if _, ok := m.configMaps[v.ConfigMap.Name]; !ok {
					t.Errorf("volume %s mounts ConfigMap %q, which is not in the manifests", v.Name, v.ConfigMap.Name)
				}
			}
		}
		mounts := map[string]string{} // path -> volume
		for _, vm := range c.VolumeMounts {
			if _, ok := volumes[vm.Name]; !ok {
				t.Errorf("volumeMount %s: no such volume", vm.Name)
			}
			mounts[vm.MountPath] = vm.Name
		}
		if v, ok := volumes[mounts["/data"]]; !ok || v.EmptyDir == nil {
			t.Error("/data (dataDir) is not a writable emptyDir: the root filesystem is read-only")
		}

		env := map[string]bool{}
		var configPath string
		for _, e := range c.Env {
			env[e.Name] = true
			if e.Name == "SIGNET_CONFIG" {
				configPath = e.Value
			}
			if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
				continue
			}
			ref := e.ValueFrom.SecretKeyRef
			s, ok := m.secrets[ref.Name]
			if !ok {
				t.Errorf("env %s: Secret %q is not in the manifests", e.Name, ref.Name)
				continue
			}
			if _, ok := s.StringData[ref.Key]; !ok {
				t.Errorf("env %s: Secret %s has no key %q", e.Name, ref.Name, ref.Key)
			}
		}

		// SIGNET_CONFIG names a file of the mounted ConfigMap.
		dir, file := configPath[:strings.LastIndexByte(configPath, '/')], configPath[strings.LastIndexByte(configPath, '/')+1:]
		v, ok := volumes[mounts[dir]]
		if !ok || v.ConfigMap == nil {
			t.Fatalf("SIGNET_CONFIG %q is not in a mounted ConfigMap (mounts %v)", configPath, mounts)
		}
		cm := m.configMaps[v.ConfigMap.Name]
		config, ok := cm.Data[file]
		if !ok {
			t.Fatalf("SIGNET_CONFIG %q: ConfigMap %s has no key %s", configPath, cm.Name, file)
		}
		// Every ${VAR} of the configuration is in the container's
		// environment: Signet refuses to start on a missing one.
		for _, match := range regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`).FindAllStringSubmatch(config, -1) {
			if !env[match[1]] {
				t.Errorf("the configuration names ${%s}, which the container's environment lacks", match[1])
			}
		}
		// Kept secrets out of the ConfigMap: they come from the Secret.
		var parsed struct {
			Listen  string
			DataDir string `json:"dataDir"`
			Storage struct{ DSN string }
			Key     struct {
				KeyEncryptionKey string `json:"keyEncryptionKey"`
			}
			Shutdown struct {
				DrainDelay string `json:"drainDelay"`
			}
		}
		if err := yaml.Unmarshal([]byte(config), &parsed); err != nil {
			t.Fatalf("the ConfigMap's %s: %v", file, err)
		}
		for what, value := range map[string]string{"storage.dsn": parsed.Storage.DSN, "key.keyEncryptionKey": parsed.Key.KeyEncryptionKey} {
			if !regexp.MustCompile(`^\$\{\w+\}$`).MatchString(value) {
				t.Errorf("%s is %q in the ConfigMap: give it as ${VAR} from the Secret", what, value)
			}
		}
		if parsed.Listen != ":8080" || parsed.DataDir != "/data" {
			t.Errorf("listen %q, dataDir %q: want :8080 (the container port) and /data (the emptyDir)", parsed.Listen, parsed.DataDir)
		}
		drain, err := time.ParseDuration(parsed.Shutdown.DrainDelay)
		grace := time.Duration(-1)
		if g := pod.Spec.TerminationGracePeriodSeconds; g != nil {
			grace = time.Duration(*g) * time.Second
		}
		if err != nil || drain+10*time.Second > grace {
			t.Errorf("shutdown.drainDelay %q (%v) with terminationGracePeriodSeconds %v: want the delay plus 10 s for the requests in flight within the grace period", parsed.Shutdown.DrainDelay, err, grace)
		}
	})
}
