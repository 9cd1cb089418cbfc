"""landcarbon.report"""
