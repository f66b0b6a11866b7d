# ruff: noqa: E501  (one product per line reads best as a table)
"""A small electronics catalog for the search contract suite, priced in whole currency units
(the seed example filters laptops to 30000-60000)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from commerce.adapters.search import search_engine_from_url
from commerce.domain.search import ProductDoc, SearchHit, SearchRequest

if TYPE_CHECKING:
    from emporium.settings import Settings

_T0 = datetime(2026, 1, 1, tzinfo=UTC)

# id, name, description, category, brand, price, popularity, rating, stock
# fmt: off
_ROWS: list[tuple[str, str, str, str, str, float, float, float, int]] = [
    ("lap-air13", "Acme AirBook 13 Laptop", "Light laptop, 8 GB RAM, 256 GB SSD", "Laptops", "Acme", 45000, 40, 4.4, 12),
    ("lap-zen14", "Zen UltraBook 14 Laptop", "Slim aluminium laptop with long battery life", "Laptops", "Zen", 58000, 25, 4.6, 5),
    ("lap-pro15", "Nimbus Pro 15 Laptop", "Laptop for creative work, 32 GB RAM", "Laptops", "Nimbus", 60000, 15, 4.7, 3),
    ("lap-air11", "Nimbus Air 11 Laptop", "Entry laptop for students", "Laptops", "Nimbus", 30000, 30, 4.0, 0),
    ("lap-game17", "Blaze Gaming Laptop 17", "Gaming laptop with RTX graphics", "Laptops", "Blaze", 120000, 20, 4.5, 4),
    ("lap-budget", "Acme Budget Laptop 11", "Affordable laptop for browsing", "Laptops", "Acme", 25000, 35, 3.8, 20),
    ("lap-sleeve", "Laptop Sleeve 13 inch", "Neoprene sleeve that fits most 13 inch laptops", "Accessories", "Acme", 1500, 60, 4.1, 100),
    ("lap-stand", "Zen Aluminium Laptop Stand", "Raises the screen to eye level", "Accessories", "Zen", 2500, 18, 4.3, 40),
    ("mouse-wl", "Logi Wireless Mouse M185", "Compact wireless mouse with USB receiver", "Accessories", "Logi", 1200, 90, 4.5, 200),
    ("mouse-wired", "Acme Wired Optical Mouse", "Plain USB mouse", "Accessories", "Acme", 400, 45, 3.9, 80),
    ("kbd-mech", "Blaze Mechanical Keyboard", "RGB mechanical keyboard with blue switches", "Accessories", "Blaze", 6500, 33, 4.4, 25),
    ("hp-nc700", "Sonar NC700 Noise Cancelling Headphones", "Over-ear wireless headphones", "Audio", "Sonar", 22000, 70, 4.8, 9),
    ("hp-buds", "Sonar Buds True Wireless Earbuds", "In-ear earbuds with charging case", "Audio", "Sonar", 9000, 85, 4.3, 30),
    ("hp-kids", "Tiny Kids Headphones", "Volume-limited headphones for children", "Audio", "Tiny", 1800, 12, 4.0, 0),
    ("spk-cafe", "Café Bluetooth Speaker", "Portable speaker with 12 hour battery", "Audio", "Sonar", 3500, 50, 4.2, 15),
    ("tv-55", "Vista 55 inch 4K Television", "Smart TV with HDR", "TVs", "Vista", 52000, 55, 4.5, 7),
    ("tv-43", "Vista 43 inch Full HD Television", "Smart TV for small rooms", "TVs", "Vista", 31000, 38, 4.1, 11),
    ("ph-x12", "Nova X12 Smartphone", "6.1 inch smartphone, 128 GB", "Phones", "Nova", 48000, 95, 4.6, 14),
    ("ph-lite", "Nova Lite Smartphone", "Budget smartphone with big battery", "Phones", "Nova", 15000, 75, 4.0, 60),
    ("ph-case", "Nova X12 Phone Case", "Shockproof case for the Nova X12", "Accessories", "Nova", 900, 65, 4.2, 150),
    ("cam-mirror", "Optix M50 Mirrorless Camera", "24 MP mirrorless camera body", "Cameras", "Optix", 65000, 22, 4.7, 2),
    ("cam-action", "Optix Go Action Camera", "Waterproof 4K action camera", "Cameras", "Optix", 28000, 27, 4.3, 0),
    ("tab-10", "Zen Tab 10 Tablet", "10 inch tablet with stylus support", "Tablets", "Zen", 35000, 42, 4.4, 10),
    ("tab-8", "Acme Tab 8 Tablet", "Compact tablet for reading", "Tablets", "Acme", 12000, 28, 3.9, 19),
    ("mon-27", "Vista 27 inch Monitor", "QHD monitor with USB-C", "Monitors", "Vista", 26000, 31, 4.5, 8),
    ("router-ax", "Netly AX3000 WiFi Router", "Dual band WiFi 6 router", "Networking", "Netly", 7000, 24, 4.2, 35),
    ("ssd-1tb", "Flashy 1TB Portable SSD", "USB-C portable solid state drive", "Storage", "Flashy", 8000, 48, 4.6, 50),
    ("usb-64", "Flashy 64GB USB Flash Drive", "Pocket flash drive", "Storage", "Flashy", 700, 52, 4.1, 300),
    ("watch-fit", "Nova Fit Smartwatch", "Fitness tracking watch with GPS", "Wearables", "Nova", 18000, 44, 4.2, 16),
    ("chg-65-out", "Volt 65W USB-C Charger", "Fast charger for laptops and phones", "Accessories", "Volt", 3000, 10, 4.0, 0),
    ("chg-65-in", "Volt 65W USB-C Charger", "Fast charger for laptops and phones", "Accessories", "Volt", 3000, 10, 4.0, 7),
    ("print-ink", "Printo Inkjet Printer", "Colour inkjet printer with WiFi", "Printers", "Printo", 9500, 14, 3.7, 6),
]
# fmt: on


def catalog() -> list[ProductDoc]:
    """The fixture products; ``created_at`` follows row order, so later rows are newer."""
    return [
        ProductDoc(pid, name, desc, cat, brand, price, pop, rating, stock, _T0 + timedelta(days=i))
        for i, (pid, name, desc, cat, brand, price, pop, rating, stock) in enumerate(_ROWS)
    ]


def hits_behind(settings: Settings, text: str) -> tuple[SearchHit, ...]:
    """What the index behind the settings' search URL and alias finds for ``text``."""
    engine = search_engine_from_url(settings.search_url, alias=settings.search.index_alias)
    try:
        return engine.search(SearchRequest(text=text)).hits
    finally:
        engine.close()
