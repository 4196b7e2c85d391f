"""Spreadsheet exports of a 登记台账 or the 信访信息系统 → record YAML files (`casebook import`).

One job per module, in the order a row travels:

- `sheets`: a workbook or CSV file → grids of cell values (encodings detected, never guessed);
- `mapping`: the mapping file (which column feeds which field), validated like library files;
- `table`: a grid → its header and data rows (title rows, two-row headers, notes under the table);
- `cells`: one cell's text, number or date as offices write them;
- `convert`: a data row → a record's values, desensitized, each value remembering its cell;
- `provenance`: what earlier imports wrote, so a re-import updates only the fields it owns;
- `emit`: a record's values → YAML in the form `casebook new` writes;
- `run`: the whole import: plan, check every row, write all or nothing, report.
"""
