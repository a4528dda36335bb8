{#- Macros of the cilium chart. Import with
    {% import "cilium/templates/_helpers.tpl" as cilium %}
    Imported macros do not see the template context: pass what they need. -#}

{#- The tag of an image reference ("quay.io/cilium/cilium:v1.11.0@sha256:..." -> "v1.11.0").
    Usage: {{ cilium.tag(images.cilium_agent) }} -#}
{% macro tag(image) -%}
{{ image.split("@", 1)[0].rsplit(":", 1)[-1] }}
{%- endmacro %}

{#- The common labels of every object, as a YAML mapping without indentation.
    Usage:
      labels:
        {{ cilium.labels(cluster, chart, "agent", images.cilium_agent) | indent(4) }} -#}
{% macro labels(cluster, chart, component, image) -%}
app.kubernetes.io/name: {{ chart.name }}
app.kubernetes.io/component: {{ component }}
app.kubernetes.io/version: {{ tag(image) | quote }}
app.kubernetes.io/managed-by: kkpgen
app.kubernetes.io/part-of: kkp-network
{%- endmacro %}

{#- Env entries pointing Cilium at the apiserver directly, for when Cilium replaces
    kube-proxy (proxy mode "ebpf"): KKP sets KUBERNETES_SERVICE_HOST/PORT from the
    cluster's external address. Call it only for "ebpf".
    Usage (inside an `env:` list):
      {% if cluster.network.proxy_mode == "ebpf" %}
        {{ cilium.apiserver_env(cluster) | indent(8) }}
      {% endif %} -#}
{% macro apiserver_env(cluster) -%}
- name: KUBERNETES_SERVICE_HOST
  value: {{ cluster.address.host | required("Cilium without kube-proxy needs the apiserver host (Cluster address.url)") | quote }}
- name: KUBERNETES_SERVICE_PORT
  value: {{ cluster.address.port | string | quote }}
{%- endmacro %}
