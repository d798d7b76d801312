"""The dataset scaffold (issue #18): `lakehouse new-dataset` infers a contract from a sample file and writes a
complete dataset folder; `lakehouse land` splits files into its landing folders by event day.

- sample.py: the sample read as the file sources read it (CSV with a header, JSON lines), values as text
- names.py: safe column names for real-world headers (`source_name` keeps the header)
- formats.py: the Spark datetime pattern of a timestamp or date column (none when ISO 8601)
- infer.py: each column's type, `required`, format; the key
- label.py: the label expression in silver's names, and its value on the sample
- plan.py: the decisions (features from the generic builders, the label's columns left out)
- render.py, render_stages.py, yamltext.py: the eleven YAML files, each with what to change
- project.py: the project directory and the profile `<name>_local`
- check.py: the folder loaded through every config loader and the Dagster definitions (no JVM)
- new_dataset.py: the command, writing only what passed the check; report.py: what it prints
- land.py: `lakehouse land`
The command line is lakehouse_tools/cli.py.
"""
