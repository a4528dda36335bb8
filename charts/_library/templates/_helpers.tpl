{#- The chart library: the macros every chart shares, so a label set or an image tag is
    written one way. Import it as
    {% import "_library/templates/_helpers.tpl" as library %}
    Imported macros do not see the template context: pass what they need. -#}

{#- image_tag(image): the tag of an image reference, without its digest
    ("quay.io/cilium/cilium:v1.11.0@sha256:..." -> "v1.11.0").
    Usage: {{ library.image_tag(images.cilium_agent) }} -#}
{% macro image_tag(image) -%}
{{ image.split("@", 1)[0].rsplit(":", 1)[-1] }}
{%- endmacro %}

{#- labels(name, component, version): the kkpgen label set (the opt-in value kkpgenLabels
    of every chart), one `key: value` per line, not indented, no trailing newline. `version`
    is what runs (an image tag, the CNI or Kubernetes version). `name` none leaves out
    app.kubernetes.io/name, for an object whose selector labels already carry it.
    Usage: {{ library.labels("canal", "calico-node", cluster.cni.version) | indent(4) }} -#}
{% macro labels(name, component, version) -%}
{% if name is not none %}
app.kubernetes.io/name: {{ name | quote }}
{% endif %}
app.kubernetes.io/component: {{ component | quote }}
app.kubernetes.io/version: {{ version | quote }}
app.kubernetes.io/managed-by: kkpgen
app.kubernetes.io/part-of: kkp-network
{%- endmacro %}
