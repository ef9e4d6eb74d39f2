"""countylink: road, rail and logistics analysis for China's county pairing programmes.

Sub-packages follow the one-way data flow ``geo -> layers <- accessibility``;
``maps`` only draws layers.
"""

__version__ = "0.1.0"
