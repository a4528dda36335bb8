{#- Macros of the nodelocal-dns chart. Import with
    {% import "nodelocal-dns/templates/_helpers.tpl" as nodelocaldns %} -#}

{#- selector_labels(): the DaemonSet selector KKP's user-cluster-controller-manager sets
    (resources.BaseAppLabels; immutable, kept so that Argo CD adopts the running DaemonSet).
    It holds app.kubernetes.io/name, so the kkpgen labels here leave it out:
    library.labels(none, ...).
    Usage: `{{ nodelocaldns.selector_labels() | nindent(6) }}` -#}
{% macro selector_labels() -%}
app: node-local-dns
app.kubernetes.io/name: node-local-dns
{%- endmacro %}

{#- server_block(zone, upstream, cluster, values, cluster_zone=false): one CoreDNS server
    block of the Corefile, listening on the link-local address only, spaced exactly as
    KKP's configTemplate (node-local-dns/configmap.go) so KKP's reconcile finds nothing to
    change. Cache misses go to `upstream` (the kube-dns ClusterIP over TCP, or the node's
    /etc/resolv.conf). The cluster-domain block (`cluster_zone`) caches more and longer and
    serves the health endpoint (CoreDNS allows one per process).
    Usage: `{{ nodelocaldns.server_block("in-addr.arpa", cluster.network.dns_service_ip, cluster, values) }}` -#}
{% macro server_block(zone, upstream, cluster, values, cluster_zone=false) -%}
{{ zone | token }}:53 {
    errors
{% if cluster_zone %}
    cache {
            success 9984 30
            denial 9984 5
    }
{% else %}
    cache 30
{% endif %}
    reload
    loop
    bind {{ cluster.network.node_local_dns_ip | token }}
{% if upstream == "/etc/resolv.conf" %}
    forward . {{ upstream | token }}
{% else %}
    forward . {{ upstream | token }} {
            force_tcp
    }
{% endif %}
    prometheus :{{ values.metricsPort | token }}
{% if cluster_zone %}
    health {{ cluster.network.node_local_dns_ip | token }}:{{ values.healthPort | token }}
{% endif %}
    }
{%- endmacro %}
