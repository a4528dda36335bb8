{#- Macros of the konnectivity chart. Import with
    {% import "konnectivity/templates/_helpers.tpl" as konnectivity %} -#}

{#- labels(cluster, component, image): the kkpgen label set, one `key: value` per line, without
    a trailing newline. `image` is the running image; its tag becomes app.kubernetes.io/version.
    Usage:    {{ konnectivity.labels(cluster, "agent", images.konnectivity_agent) | indent(4) }} -#}
{% macro labels(cluster, component, image) -%}
app.kubernetes.io/name: konnectivity
app.kubernetes.io/instance: {{ cluster.name }}
app.kubernetes.io/component: {{ component }}
app.kubernetes.io/version: {{ image.rsplit(":", 1)[1] | quote }}
app.kubernetes.io/managed-by: kkpgen
app.kubernetes.io/part-of: kkp-network
{%- endmacro %}
