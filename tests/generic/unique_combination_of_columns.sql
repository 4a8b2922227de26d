{#- No two rows share the same values of the columns together (a composite primary key), as
    dbt_utils' test of that name; rows with a null in the combination are compared too. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

select
    {{ combination_of_columns | join(', ') }},
    count(*) as duplicate_rows
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1

{% endtest %}
