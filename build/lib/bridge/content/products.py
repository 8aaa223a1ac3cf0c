"""The product list kept in `site_config/products.yml`: the values `product` may take."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Product:
    key: str
    name: str


def load_products(path: Path) -> list[Product]:
    """Read the product list; a malformed file is a setup error that names the file."""
    try:
        entries = yaml.safe_load(path.read_text(encoding="utf-8"))["products"]
        return [Product(key=str(entry["key"]), name=str(entry["name"])) for entry in entries]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: cannot read the product list ({exc}); expected 'products: [{{key, name}}]'") from exc
